"""In-process implementations of the SDK's client seams: each calls the mesh runtime's services."""
