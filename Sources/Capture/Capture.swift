// Capture module: see DESIGN.md.
