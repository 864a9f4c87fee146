package apply

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"

	"github.com/compose-spec/compose-go/v2/types"
)

// Docker Compose labels the networks and volumes it creates with a
// config-hash too (since v2.31), and on a later `up` recreates a network, or
// asks to recreate a volume, whose label differs from the hash of the
// file's definition. berth writes the same hash, so that Docker Compose
// takes berth's networks and volumes as its own and leaves them alone.

// networkHash is Compose's NetworkHash: sha256 of the JSON of the network's
// definition, as lowercase hex.
func networkHash(n types.NetworkConfig) (string, error) {
	b, err := json.Marshal(&n)
	if err != nil {
		return "", fmt.Errorf("hashing network %s: %w", n.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}

// volumeHash is Compose's VolumeHash: the same over the volume's
// definition, with the driver defaulted to "local" first.
func volumeHash(v types.VolumeConfig) (string, error) {
	if v.Driver == "" {
		v.Driver = "local"
	}
	b, err := json.Marshal(v)
	if err != nil {
		return "", fmt.Errorf("hashing volume %s: %w", v.Name, err)
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:]), nil
}
