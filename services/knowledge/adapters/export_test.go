package adapters

// HoldComputing takes every turn to compute a search, so that searches
// missing the cache wait, until release is called.
func HoldComputing() (release func()) {
	for range cap(computing) {
		computing <- struct{}{}
	}
	return func() {
		for range cap(computing) {
			<-computing
		}
	}
}
