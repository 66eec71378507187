"""Automation: what a change or the passing of time owes people — actions, channels, the dispatcher that
carries out the outbox, the scanner, the worker, and the weekly digest."""
