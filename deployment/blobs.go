package deployment

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"

	"github.com/custodia-ec/custodia/internal/durable"

	"github.com/custodia-ec/custodia/custody"
	"github.com/custodia-ec/custodia/storage/blob"
	"github.com/custodia-ec/custodia/storage/blob/fsblob"
	"github.com/custodia-ec/custodia/storage/blob/s3blob"
)

// BlobsDir is the default blob store, inside the data directory.
const BlobsDir = "blobs"

// Environment variables that hold the S3 credentials. The secret never goes
// in config.json, in flags or in logs.
const (
	EnvS3AccessKey = "CUSTODIA_S3_ACCESS_KEY"
	EnvS3SecretKey = "CUSTODIA_S3_SECRET_KEY"
)

// BlobConfig is the "blobs" object of config.json: where evidence files
// are kept. The default (no object, or backend "fs") is a filesystem store
// under DATA/blobs; backend "s3" keeps them in a bucket of any S3-compatible
// store, with the credentials taken from CUSTODIA_S3_ACCESS_KEY and
// CUSTODIA_S3_SECRET_KEY (or the variables AccessKeyEnv and SecretKeyEnv
// name).
type BlobConfig struct {
	Backend string `json:"backend"`       // "fs" (default) or "s3"
	Dir     string `json:"dir,omitempty"` // fs: the store's directory; relative to DATA; default DATA/blobs

	Endpoint     string `json:"endpoint,omitempty"` // s3: host:port, no scheme
	Bucket       string `json:"bucket,omitempty"`   // s3: must exist
	Prefix       string `json:"prefix,omitempty"`   // s3: before every object name
	Region       string `json:"region,omitempty"`
	Insecure     bool   `json:"insecure,omitempty"` // s3: plain HTTP, for a store on loopback only
	AccessKeyEnv string `json:"access_key_env,omitempty"`
	SecretKeyEnv string `json:"secret_key_env,omitempty"`
}

// OpenBlobs opens the blob store a deployment's configuration names (nil:
// the default filesystem store under dir/blobs).
func OpenBlobs(dir string, c *BlobConfig) (blob.Store, error) {
	if c == nil || c.Backend == "" || c.Backend == "fs" {
		bdir := filepath.Join(dir, BlobsDir)
		if c != nil && c.Dir != "" {
			bdir = c.Dir
			if !filepath.IsAbs(bdir) {
				bdir = filepath.Join(dir, bdir)
			}
		}
		return fsblob.Open(bdir)
	}
	if c.Backend != "s3" {
		return nil, custody.Errorf(custody.EInvalid, "blobs.backend", "%s: almacén %q desconocido (fs o s3)", "%s: unknown store %q (fs or s3)", ConfigFile, c.Backend)
	}
	akEnv, skEnv := c.AccessKeyEnv, c.SecretKeyEnv
	if akEnv == "" {
		akEnv = EnvS3AccessKey
	}
	if skEnv == "" {
		skEnv = EnvS3SecretKey
	}
	ak, sk := os.Getenv(akEnv), os.Getenv(skEnv)
	if ak == "" || sk == "" {
		return nil, custody.Errorf(custody.EInvalid, "blobs", "faltan las credenciales S3: defina %s y %s", "S3 credentials missing: set %s and %s", akEnv, skEnv)
	}
	st, err := s3blob.New(s3blob.Config{Endpoint: c.Endpoint, Bucket: c.Bucket, Prefix: c.Prefix, Region: c.Region,
		AccessKey: ak, SecretKey: sk, DisableTLS: c.Insecure})
	if err != nil {
		return nil, fmt.Errorf("%s: blobs: %w", ConfigFile, err)
	}
	return st, nil
}

// SetBlobs writes c as the blob store of an existing deployment's
// config.json (durably, replacing the file). It is how `custodia init
// --s3-endpoint ...` and tests configure S3.
func SetBlobs(dir string, c *BlobConfig) error {
	cfg, err := readConfig(dir)
	if err != nil {
		return err
	}
	cfg.Blobs = c
	return writeConfig(dir, cfg)
}

func readConfig(dir string) (Config, error) {
	var cfg Config
	b, err := os.ReadFile(filepath.Join(dir, ConfigFile))
	if err != nil {
		return cfg, err
	}
	if err := json.Unmarshal(b, &cfg); err != nil {
		return cfg, fmt.Errorf("%s: %w", ConfigFile, err)
	}
	return cfg, nil
}

// writeConfig replaces config.json durably through internal/durable.
func writeConfig(dir string, cfg Config) error {
	b, err := json.MarshalIndent(cfg, "", "  ")
	if err != nil {
		return err
	}
	return durable.WriteFile(filepath.Join(dir, ConfigFile), append(b, '\n'), 0o644)
}
