// The Storage module; see README.md for its place among the layers.
