package collectors

// PSU is one power supply. (being written)
type PSU struct {
	// Name is the supply, e.g. "PS1" or "AC".
	Name string `json:"name"`
}
