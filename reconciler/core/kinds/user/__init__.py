"""Users: the proxy's internal users (people and services), by user_id."""
