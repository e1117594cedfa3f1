//! Media pre-flight checks, conversion and hosting, so Meta's crawler never fails a post.
