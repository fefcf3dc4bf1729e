// tlogcheck verifies signet's checkpoints and proofs with Go's
// golang.org/x/mod/sumdb/{note,tlog} (Debian golang-golang-x-mod-dev), an
// independent implementation of signed notes and RFC 6962 proofs.
//
// Usage: tlogcheck VKEY NOTE_FILE PROOF_FILE
// The tree holds records 0..size-1, record i being i as 8 big-endian bytes.
// PROOF_FILE lines: "inclusion <index>" or "consistency <old> <b64 old root>",
// then one base64 hash per line, then a blank line.
package main

import (
	"bufio"
	"encoding/base64"
	"encoding/binary"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

type memory []tlog.Hash

func (m memory) ReadHashes(idx []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(idx))
	for i, x := range idx {
		out[i] = m[x]
	}
	return out, nil
}

func fail(f string, a ...interface{}) {
	fmt.Fprintf(os.Stderr, f+"\n", a...)
	os.Exit(1)
}

func hash(s string) tlog.Hash {
	b, err := base64.StdEncoding.DecodeString(s)
	if err != nil || len(b) != 32 {
		fail("bad hash %q", s)
	}
	var h tlog.Hash
	copy(h[:], b)
	return h
}

func main() {
	v, err := note.NewVerifier(os.Args[1])
	if err != nil {
		fail("vkey: %v", err)
	}
	msg, _ := os.ReadFile(os.Args[2])
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note: %v", err)
	}
	lines := strings.Split(n.Text, "\n")
	size, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		fail("size: %v", err)
	}
	root := hash(lines[2])

	var stored memory
	for i := int64(0); i < size; i++ {
		rec := make([]byte, 8)
		binary.BigEndian.PutUint64(rec, uint64(i))
		hs, err := tlog.StoredHashes(i, rec, stored)
		if err != nil {
			fail("stored hashes: %v", err)
		}
		stored = append(stored, hs...)
	}
	th, err := tlog.TreeHash(size, stored)
	if err != nil || th != root {
		fail("root mismatch: go %v, checkpoint %v", th, root)
	}

	f, _ := os.Open(os.Args[3])
	sc := bufio.NewScanner(f)
	checked := 0
	for sc.Scan() {
		head := strings.Fields(sc.Text())
		if len(head) == 0 {
			continue
		}
		var proof []tlog.Hash
		for sc.Scan() && sc.Text() != "" {
			proof = append(proof, hash(sc.Text()))
		}
		switch head[0] {
		case "inclusion":
			idx, _ := strconv.ParseInt(head[1], 10, 64)
			rec := make([]byte, 8)
			binary.BigEndian.PutUint64(rec, uint64(idx))
			if err := tlog.CheckRecord(tlog.RecordProof(proof), size, root, idx, tlog.RecordHash(rec)); err != nil {
				fail("inclusion %d: %v", idx, err)
			}
		case "consistency":
			old, _ := strconv.ParseInt(head[1], 10, 64)
			if err := tlog.CheckTree(tlog.TreeProof(proof), size, root, old, hash(head[2])); err != nil {
				fail("consistency %d: %v", old, err)
			}
		default:
			fail("unknown line %q", head[0])
		}
		checked++
	}
	fmt.Printf("OK %d proofs\n", checked)
}
