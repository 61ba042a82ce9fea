// The Timing module; see README.md for its place among the layers.
