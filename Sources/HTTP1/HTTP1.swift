// The HTTP1 module; see README.md for its place among the layers.
