"""People: users, teams, how the permission hooks combine, browser sessions and login throttling."""
