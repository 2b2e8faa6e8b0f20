"""The sandbox: both simulators, every service and one seeded company, on localhost."""
