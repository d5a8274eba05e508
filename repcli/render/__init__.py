"""Renderers: one per format. `tables` for people (rich), `formats` for scripts."""
