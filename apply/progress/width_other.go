//go:build !unix

package progress

import "io"

// Width is the number of columns of the terminal w, or 0 when unknown.
func Width(io.Writer) int { return 0 }
