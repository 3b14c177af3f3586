// Library module: see DESIGN.md.
