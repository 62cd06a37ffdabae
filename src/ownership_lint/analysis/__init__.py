"""The semantic model: project index, routes, dependencies, models, owner checks."""
