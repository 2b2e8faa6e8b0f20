"""The kakehashi command: services, sandbox, simulators, admin."""
