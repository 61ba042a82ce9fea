// The JSON module; see README.md for its place among the layers.
