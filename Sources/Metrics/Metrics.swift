// The Metrics module; see README.md for its place among the layers.
