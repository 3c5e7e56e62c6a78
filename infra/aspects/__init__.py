"""Cross-cutting rules applied to every resource at synth: one aspect per rule."""
