package auth

// Browser opens a URL for a person to see.
type Browser interface {
	Open(url string) error
}
