"""Hub services: the rules behind the API, with keyword-only arguments and typed errors."""
