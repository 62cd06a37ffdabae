"""ownership-lint: find and fix broken user isolation in FastAPI backends."""
