"""The demo workspace: users of every role and deals with months of believable history."""
