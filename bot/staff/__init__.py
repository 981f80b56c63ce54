"""The staff kernel, below the domains: roles (``roles``), the audit log (``audit``) and the
office's details (``office``). An action's audit entry is written by the domain function that
performs it, never by the page or command that asks for it."""
