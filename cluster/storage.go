package cluster

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"time"

	"github.com/caddyserver/certmagic"
	"github.com/redis/go-redis/v9"
)

// Storage is a certmagic.Storage on Redis, shared by every instance with
// the same Redis, prefix and cluster key. Values are sealed (AES-256-GCM)
// before they leave the process; key names, sizes and modification times
// are not. Locks are leases (see Lock).
//
// Redis keys, under the prefix P:
//
//	P:storage:index        sorted set of every storage key (all scores 0, ordered by name)
//	P:storage:value:KEY    hash: value (sealed), size (of the plaintext), modified (Unix ns)
//	P:lock:NAME            lock lease: the holder's random token, with a TTL
//
// The index makes List and directory checks range queries (ZRANGEBYLEX)
// instead of scans of the whole keyspace. Store and Delete change a value
// and the index together (MULTI, or one Lua script), so they always agree.
type Storage struct {
	c *Client
}

var (
	_ certmagic.Storage          = (*Storage)(nil)
	_ certmagic.TryLocker        = (*Storage)(nil)
	_ certmagic.LockLeaseRenewer = (*Storage)(nil)
)

func (s *Storage) indexKey() string           { return s.c.prefix + "storage:index" }
func (s *Storage) valueKey(key string) string { return s.c.prefix + "storage:value:" + key }

// String names the storage in certmagic's logs.
func (s *Storage) String() string { return "cluster:" + s.c.prefix }

// cleanKey trims the slashes certmagic's keys should not have, and
// refuses an empty key.
func cleanKey(op, key string) (string, error) {
	k := strings.Trim(key, "/")
	if k == "" {
		return "", fmt.Errorf("cluster: %s: empty key %q", op, key)
	}
	return k, nil
}

// notExist is the error certmagic expects for a missing key.
func notExist(op, key string) error {
	return &fs.PathError{Op: op, Path: key, Err: fs.ErrNotExist}
}

// Store seals value and puts it at key, replacing any value there.
func (s *Storage) Store(ctx context.Context, key string, value []byte) error {
	key, err := cleanKey("store", key)
	if err != nil {
		return err
	}
	sealed := s.c.seal.seal(key, value)
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	_, err = s.c.rdb.TxPipelined(rctx, func(p redis.Pipeliner) error {
		p.HSet(rctx, s.valueKey(key), "value", sealed, "size", len(value), "modified", time.Now().UnixNano())
		p.ZAdd(rctx, s.indexKey(), redis.Z{Member: key})
		return nil
	})
	return s.c.fail(ctx, "store", key, err)
}

// Load returns the value at key; an error matching fs.ErrNotExist when
// there is none, an *OpenError when it cannot be opened (sealed under
// another cluster key, or altered).
func (s *Storage) Load(ctx context.Context, key string) ([]byte, error) {
	key, err := cleanKey("load", key)
	if err != nil {
		return nil, err
	}
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	sealed, err := s.c.rdb.HGet(rctx, s.valueKey(key), "value").Bytes()
	if errors.Is(err, redis.Nil) {
		return nil, notExist("load", key)
	}
	if err != nil {
		return nil, s.c.fail(ctx, "load", key, err)
	}
	return s.c.seal.open(key, sealed)
}

// deleteScript deletes the value at ARGV[1] and every value below it
// (ARGV[1]/…), from the index KEYS[1] and their hashes (ARGV[2] is the
// prefix of the value keys), in one step.
var deleteScript = redis.NewScript(`
local n = redis.call('DEL', KEYS[2])
redis.call('ZREM', KEYS[1], ARGV[1])
local lo, hi = '[' .. ARGV[1] .. '/', '(' .. ARGV[1] .. '0'
local below = redis.call('ZRANGEBYLEX', KEYS[1], lo, hi)
for _, k in ipairs(below) do
  n = n + redis.call('DEL', ARGV[2] .. k)
end
if #below > 0 then redis.call('ZREMRANGEBYLEX', KEYS[1], lo, hi) end
return n
`)

// Delete deletes the value at key and, when key is a directory, every
// value below it. A missing key is not an error.
func (s *Storage) Delete(ctx context.Context, key string) error {
	key, err := cleanKey("delete", key)
	if err != nil {
		return err
	}
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	err = deleteScript.Run(rctx, s.c.rdb, []string{s.indexKey(), s.valueKey(key)}, key, s.valueKey("")).Err()
	return s.c.fail(ctx, "delete", key, err)
}

// below returns the lexicographic range of the index holding the keys
// under dir ('0' follows '/'), or all of it for the root.
func below(dir string) (lo, hi string) {
	if dir == "" {
		return "-", "+"
	}
	return "[" + dir + "/", "(" + dir + "0"
}

// Exists reports whether key is a value or a directory (the prefix of
// values). It reports false when Redis cannot be asked.
func (s *Storage) Exists(ctx context.Context, key string) bool {
	key = strings.Trim(key, "/")
	if key == "" {
		return false
	}
	var file *redis.IntCmd
	var dir *redis.StringSliceCmd
	lo, hi := below(key)
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	_, err := s.c.rdb.Pipelined(rctx, func(p redis.Pipeliner) error {
		file = p.Exists(rctx, s.valueKey(key))
		dir = p.ZRangeByLex(rctx, s.indexKey(), &redis.ZRangeBy{Min: lo, Max: hi, Count: 1})
		return nil
	})
	return err == nil && (file.Val() > 0 || len(dir.Val()) > 0)
}

// listPage is how many index entries List reads per request.
const listPage = 1000

// List returns the keys under dir: with recursive, every value and
// directory below it; without, its direct children (values and
// directories). A dir that does not exist is an error matching
// fs.ErrNotExist; a value has no children.
func (s *Storage) List(ctx context.Context, dir string, recursive bool) ([]string, error) {
	dir = strings.Trim(dir, "/")
	lo, hi := below(dir)
	var keys []string
	seen := map[string]bool{}
	add := func(k string) {
		if !seen[k] {
			seen[k] = true
			keys = append(keys, k)
		}
	}
	base := len(dir)
	if dir != "" {
		base++ // the slash
	}
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	for offset := int64(0); ; offset += listPage {
		page, err := s.c.rdb.ZRangeByLex(rctx, s.indexKey(), &redis.ZRangeBy{Min: lo, Max: hi, Offset: offset, Count: listPage}).Result()
		if err != nil {
			return nil, s.c.fail(ctx, "list", dir, err)
		}
		for _, k := range page {
			rest := k[base:]
			if !recursive {
				if i := strings.IndexByte(rest, '/'); i >= 0 {
					rest = rest[:i]
				}
				add(k[:base] + rest)
				continue
			}
			for i := range len(rest) {
				if rest[i] == '/' {
					add(k[:base+i])
				}
			}
			add(k)
		}
		if len(page) < listPage {
			break
		}
	}
	if len(keys) > 0 || dir == "" {
		return keys, nil
	}
	n, err := s.c.rdb.Exists(rctx, s.valueKey(dir)).Result()
	if err != nil {
		return nil, s.c.fail(ctx, "list", dir, err)
	}
	if n == 0 {
		return nil, notExist("list", dir)
	}
	return nil, nil
}

// Stat describes key: a value's size (of the plaintext) and modification
// time, or a directory (IsTerminal false, no size or time).
func (s *Storage) Stat(ctx context.Context, key string) (certmagic.KeyInfo, error) {
	key, err := cleanKey("stat", key)
	if err != nil {
		return certmagic.KeyInfo{}, err
	}
	var meta *redis.SliceCmd
	var dir *redis.StringSliceCmd
	lo, hi := below(key)
	rctx, cancel := s.c.bound(ctx)
	defer cancel()
	_, err = s.c.rdb.Pipelined(rctx, func(p redis.Pipeliner) error {
		meta = p.HMGet(rctx, s.valueKey(key), "size", "modified")
		dir = p.ZRangeByLex(rctx, s.indexKey(), &redis.ZRangeBy{Min: lo, Max: hi, Count: 1})
		return nil
	})
	if err != nil {
		return certmagic.KeyInfo{}, s.c.fail(ctx, "stat", key, err)
	}
	if v := meta.Val(); len(v) == 2 && v[0] != nil {
		size, err1 := strconv.ParseInt(fmt.Sprint(v[0]), 10, 64)
		mod, err2 := strconv.ParseInt(fmt.Sprint(v[1]), 10, 64)
		if err1 != nil || err2 != nil {
			return certmagic.KeyInfo{}, fmt.Errorf("cluster: stat %s: malformed metadata %q", key, v)
		}
		return certmagic.KeyInfo{Key: key, Size: size, Modified: time.Unix(0, mod), IsTerminal: true}, nil
	}
	if len(dir.Val()) > 0 {
		return certmagic.KeyInfo{Key: key}, nil
	}
	return certmagic.KeyInfo{}, notExist("stat", key)
}
