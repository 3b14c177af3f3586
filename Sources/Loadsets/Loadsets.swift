// Loadsets module: see DESIGN.md.
