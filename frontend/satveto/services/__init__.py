"""Services: the frontend's logic, free of HTTP (handlers call them)."""
