// The Crypto module; see README.md for its place among the layers.
