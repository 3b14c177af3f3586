// Hashing module: see DESIGN.md.
