// Store module: see DESIGN.md.
