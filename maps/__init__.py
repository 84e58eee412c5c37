"""Maps: folium HTML for planners and the map UI assets."""
