"""Budgets: /budget/new objects (limits shared by the keys and teams that name them)."""
