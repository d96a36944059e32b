// go-reader: Go's archive/tar as an independent judge for layerlab's tar tests.
//
//	go-reader read FILE   every header as JSON lines, as archive/tar reads it, with a sha256 of the data
//	go-reader write FILE  an archive written by archive/tar (PAX and GNU formats), for our parser
//
// Built at test time with the Debian golang-go package; standard library only.
package main

import (
	"archive/tar"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type member struct {
	Name     string            `json:"name"` // hex of the raw bytes
	Typeflag string            `json:"typeflag"`
	Size     int64             `json:"size"`
	Mode     int64             `json:"mode"`
	Uid      int               `json:"uid"`
	Gid      int               `json:"gid"`
	Uname    string            `json:"uname"`    // hex
	Gname    string            `json:"gname"`    // hex
	MtimeNs  string            `json:"mtimeNs"`  // decimal nanoseconds, exact
	Linkname string            `json:"linkname"` // hex
	Devmajor int64             `json:"devmajor"`
	Devminor int64             `json:"devminor"`
	Xattrs   map[string]string `json:"xattrs"` // hex values
	Pax      map[string]string `json:"pax"`    // hex values
	Format   string            `json:"format"`
	Sha256   string            `json:"sha256"`
}

func read(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tr := tar.NewReader(f)
	out := json.NewEncoder(os.Stdout)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return err
		}
		sum := sha256.New()
		if _, err := io.Copy(sum, tr); err != nil {
			return err
		}
		m := member{
			Name: hex.EncodeToString([]byte(h.Name)), Typeflag: string([]byte{h.Typeflag}), Size: h.Size, Mode: h.Mode,
			Uid: h.Uid, Gid: h.Gid, Uname: hex.EncodeToString([]byte(h.Uname)), Gname: hex.EncodeToString([]byte(h.Gname)), MtimeNs: fmt.Sprint(h.ModTime.UnixNano()),
			Linkname: hex.EncodeToString([]byte(h.Linkname)), Devmajor: h.Devmajor, Devminor: h.Devminor,
			Xattrs: map[string]string{}, Pax: map[string]string{}, Format: h.Format.String(), Sha256: hex.EncodeToString(sum.Sum(nil)),
		}
		for k, v := range h.PAXRecords {
			m.Pax[k] = hex.EncodeToString([]byte(v))
			if strings.HasPrefix(k, "SCHILY.xattr.") {
				m.Xattrs[strings.TrimPrefix(k, "SCHILY.xattr.")] = hex.EncodeToString([]byte(v))
			}
		}
		if err := out.Encode(m); err != nil {
			return err
		}
	}
}

func write(path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	t0 := time.Unix(1700000000, 0)
	add := func(h *tar.Header, data string) error {
		h.Size = int64(len(data))
		if h.ModTime.IsZero() {
			h.ModTime = t0
		}
		if err := tw.WriteHeader(h); err != nil {
			return fmt.Errorf("%s: %w", h.Name, err)
		}
		_, err := io.WriteString(tw, data)
		return err
	}
	long := "go/" + strings.Repeat("n", 120) + "/" + strings.Repeat("m", 150)
	headers := []struct {
		h    tar.Header
		data string
	}{
		{tar.Header{Name: "go/", Typeflag: tar.TypeDir, Mode: 0o755, Uname: "user", Gname: "group", Uid: 1000, Gid: 1000}, ""},
		{tar.Header{Name: "go/file", Typeflag: tar.TypeReg, Mode: 0o644}, "hello from go\n"},
		{tar.Header{Name: long, Typeflag: tar.TypeReg, Mode: 0o600}, "long name\n"},
		{tar.Header{Name: "go/split/" + strings.Repeat("s", 95) + "/" + strings.Repeat("t", 90), Typeflag: tar.TypeReg, Mode: 0o644}, "ustar split\n"},
		{tar.Header{Name: "go/link", Typeflag: tar.TypeSymlink, Linkname: "../" + strings.Repeat("l", 140), Mode: 0o777}, ""},
		{tar.Header{Name: "go/hard", Typeflag: tar.TypeLink, Linkname: "go/file"}, ""},
		{tar.Header{Name: "go/null", Typeflag: tar.TypeChar, Devmajor: 1, Devminor: 3, Mode: 0o666}, ""},
		{tar.Header{Name: "go/fifo", Typeflag: tar.TypeFifo, Mode: 0o644}, ""},
		{tar.Header{Name: "go/bigid", Typeflag: tar.TypeReg, Uid: 3000000, Gid: 4000000, Mode: 0o644}, "big ids\n"},
		{tar.Header{Name: "go/utf8-caf\u00e9-\u6587\u4ef6", Typeflag: tar.TypeReg, Mode: 0o644, Uname: "us\u00e9r"}, "utf-8\n"},
		{tar.Header{Name: "go/frac", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1700000000, 250000000), Format: tar.FormatPAX}, "fraction\n"},
		{tar.Header{Name: "go/old", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(-1000, 0)}, "negative time\n"},
		{tar.Header{Name: "go/nanos", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1700000000, 123456789), Format: tar.FormatPAX}, "nanoseconds\n"},
		{tar.Header{Name: "go/nanos-old", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(-3, 987654321), Format: tar.FormatPAX}, "nanoseconds before 1970\n"},
		{tar.Header{Name: "go/one-nano", Typeflag: tar.TypeReg, Mode: 0o644, ModTime: time.Unix(1700000000, 1), Format: tar.FormatPAX}, "one nanosecond past\n"},
		{tar.Header{Name: "go/xattr", Typeflag: tar.TypeReg, Mode: 0o644, PAXRecords: map[string]string{"SCHILY.xattr.user.go": "v\x00\xff", "comment": "from go"}}, "x\n"},
	}
	for i := range headers {
		if err := add(&headers[i].h, headers[i].data); err != nil {
			return err
		}
	}
	// A GNU-format member: base-256 numbers instead of PAX.
	gnu := tar.Header{Name: "go/gnu-" + strings.Repeat("g", 120), Typeflag: tar.TypeReg, Mode: 0o644, Uid: 3000000, ModTime: time.Unix(-5, 0), Format: tar.FormatGNU}
	if err := add(&gnu, "gnu\n"); err != nil {
		return err
	}
	return tw.Close()
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: go-reader read|write FILE")
		os.Exit(2)
	}
	var err error
	switch os.Args[1] {
	case "read":
		err = read(os.Args[2])
	case "write":
		err = write(os.Args[2])
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "go-reader:", err)
		os.Exit(1)
	}
}
