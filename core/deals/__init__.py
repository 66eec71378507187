"""Deals: the engine every change goes through, what a change owes the outbox, the stale rule, the
board's read model, tasks and the inbox, lead intake, import and export."""
