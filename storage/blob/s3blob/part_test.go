package s3blob

import "testing"

func TestPartSize(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		configured uint64
		size       int64
		want       uint64
	}{
		{16 * mib, -1, 16 * mib},
		{16 * mib, 0, 16 * mib},
		{16 * mib, 64<<20 + 1, 16 * mib},
		{16 * mib, 16 * mib * maxParts, 16 * mib},
		{16 * mib, 16*mib*maxParts + 1, 17 * mib},
		{16 * mib, 512e9, 49 * mib}, // 512 GB: 48.8 MiB per part
		{64 * mib, 512e9, 64 * mib},
	}
	for _, tt := range tests {
		got := partSize(tt.configured, tt.size)
		if got != tt.want {
			t.Errorf("partSize(%d, %d) = %d MiB, want %d MiB", tt.configured, tt.size, got/mib, tt.want/mib)
		}
		if tt.size > 0 && uint64(tt.size) > got*maxParts {
			t.Errorf("partSize(%d, %d) = %d: %d bytes do not fit in %d parts", tt.configured, tt.size, got, tt.size, maxParts)
		}
	}
}
