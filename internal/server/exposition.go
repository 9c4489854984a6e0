package server

import (
	"bytes"
	"compress/flate"
	"compress/gzip"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"io"
	"log"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"github.com/redwatch/redwatch/internal/daemon/report"
)

// The exposition of the last pass is rendered once per pass: the first
// /metrics request after a pass (or after a configuration reload) renders
// the pass metrics to the text format, and to gzip when a client asks for
// it, and every later request until the next pass serves those bytes. Only
// the metrics about the process itself (go_*, process_*) and the alerts'
// (Options.Extra) are gathered per request, as Prometheus' convention
// wants: they describe the moment of the scrape, not the pass, and are a
// few dozen samples. The response is the same as the registry's
// (promhttp's): the families in name order, each sorted by its label
// values, the same headers. What the cache does not serve — the protobuf
// format, a name[] filter, an Accept-Encoding it does not parse, a pass
// whose metrics the registry would refuse (a label value that is not UTF-8,
// a label set sent twice) — is served by promhttp over every collector, as
// before.

// descInfo is what the renderer needs of a Desc: its name and help, its
// variable labels sorted by name, and for each of them its index among the
// Desc's variable labels (the order the values are sent in).
type descInfo struct {
	name, help string
	labels     []string
	order      []int
	rank       int // the family's place in name order
}

// describeDescs learns the name, help and labels of descs from the client
// library itself: a probe collector sends one sample per Desc, valued by its
// index and with label values naming their position, and the registry's
// Gather returns the families as it would expose them. A Desc it cannot
// describe (constant labels, two Descs of one name) is left out, and a pass
// that sends it is served by the registry.
func describeDescs(descs []*prometheus.Desc) descTable {
	p := &descProbe{descs: descs, labels: make([]int, len(descs))}
	for i, d := range descs {
		p.labels[i] = -1
		for n := 0; n <= 32; n++ {
			if _, err := prometheus.NewConstMetric(d, prometheus.GaugeValue, 0, make([]string, n)...); err == nil {
				p.labels[i] = n
				break
			}
		}
	}
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(p); err != nil {
		return descTable{}
	}
	mfs, err := reg.Gather()
	if err != nil {
		return descTable{}
	}
	infos := map[*prometheus.Desc]*descInfo{}
	for rank, mf := range mfs {
		if len(mf.Metric) != 1 {
			continue // two Descs of one name
		}
		m := mf.Metric[0]
		i := int(m.GetGauge().GetValue())
		if i < 0 || i >= len(descs) || len(m.Label) != p.labels[i] {
			continue // constant labels
		}
		info := &descInfo{name: mf.GetName(), help: mf.GetHelp(), rank: rank}
		for _, lp := range m.Label {
			k, err := strconv.Atoi(lp.GetValue())
			if err != nil || k < 0 || k >= len(m.Label) {
				info = nil
				break
			}
			info.labels = append(info.labels, lp.GetName())
			info.order = append(info.order, k)
		}
		if info != nil && legacyNames(info) {
			infos[descs[i]] = info
		}
	}
	return descTable{infos: infos, families: len(mfs)}
}

// descTable describes the Descs of the pass metrics.
type descTable struct {
	infos    map[*prometheus.Desc]*descInfo
	families int // ranks run from 0 to families-1
}

// legacyNames reports whether the family's name and labels are valid in
// the legacy scheme, which every escaping scheme leaves as they are.
func legacyNames(info *descInfo) bool {
	if !model.LegacyValidation.IsValidMetricName(info.name) {
		return false
	}
	for _, l := range info.labels {
		if !model.LegacyValidation.IsValidLabelName(l) {
			return false
		}
	}
	return true
}

// descProbe is describeDescs' collector.
type descProbe struct {
	descs  []*prometheus.Desc
	labels []int // variable labels per Desc, -1 when unknown
}

func (p *descProbe) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range p.descs {
		ch <- d
	}
}

func (p *descProbe) Collect(ch chan<- prometheus.Metric) {
	for i, d := range p.descs {
		if p.labels[i] < 0 {
			continue
		}
		vals := make([]string, p.labels[i])
		for k := range vals {
			vals[k] = strconv.Itoa(k)
		}
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, float64(i), vals...)
	}
}

// familySamples are the samples of one family in a pass.
type familySamples struct {
	info   *descInfo
	typ    prometheus.ValueType
	values []float64
	labels []string // len(info.labels) per sample, in info.labels order
}

// textSink collects a pass's samples for the text renderer. bad is set by
// anything the registry would refuse or that the renderer does not know.
type textSink struct {
	infos map[*prometheus.Desc]*descInfo
	fams  []familySamples // by rank
	bad   bool
}

func (s *textSink) sample(d *prometheus.Desc, t prometheus.ValueType, v float64, labels ...string) {
	info := s.infos[d]
	if info == nil || len(labels) != len(info.labels) {
		s.bad = true
		return
	}
	for _, l := range labels {
		if !utf8.ValidString(l) {
			s.bad = true
			return
		}
	}
	f := &s.fams[info.rank]
	if f.info == nil {
		f.info, f.typ = info, t
	} else if f.typ != t {
		s.bad = true
		return
	}
	f.values = append(f.values, v)
	for _, k := range info.order {
		f.labels = append(f.labels, labels[k])
	}
}

// passExposition is a pass's metrics rendered once: the text, the families
// in it, and its deflate stream made on the first gzip request.
type passExposition struct {
	// fast is false when the pass must be served by the registry.
	fast bool
	text []byte
	// names and ends are the families in text, in name order: family i
	// ends at ends[i].
	names []string
	ends  []int
	// counts and labels are the samples and labels per sample of each
	// family, by rank: the next rendering's sizes.
	counts, labels []int

	deflateOnce sync.Once
	deflated    []byte // text as one raw deflate stream, final block included
}

// renderPass renders the samples of collect in the text format, byte for
// byte as expfmt encodes the registry's families of them. prev, the last
// pass's rendering (nil for none), sizes the buffers: a host's passes are
// alike.
func renderPass(descs descTable, collect func(sampleFunc), prev *passExposition) *passExposition {
	if descs.infos == nil {
		return &passExposition{}
	}
	s := &textSink{infos: descs.infos, fams: make([]familySamples, descs.families)}
	if prev != nil && len(prev.counts) == len(s.fams) {
		for rank, n := range prev.counts {
			if n > 0 {
				s.fams[rank].values = make([]float64, 0, n)
				s.fams[rank].labels = make([]string, 0, n*prev.labels[rank])
			}
		}
	}
	collect(s.sample)
	if s.bad {
		return &passExposition{}
	}
	px := &passExposition{fast: true, counts: make([]int, len(s.fams)), labels: make([]int, len(s.fams))}
	var b []byte
	if prev != nil {
		b = make([]byte, 0, len(prev.text)+len(prev.text)/8)
	}
	var idx []int
	for i := range s.fams {
		f := &s.fams[i]
		if f.info == nil {
			continue
		}
		n := len(f.info.labels)
		idx = idx[:0]
		for k := range f.values {
			idx = append(idx, k)
		}
		key := func(k int) []string { return f.labels[k*n : (k+1)*n] }
		slices.SortFunc(idx, func(a, c int) int { return slices.Compare(key(a), key(c)) })
		for k := 1; k < len(idx); k++ {
			if slices.Equal(key(idx[k-1]), key(idx[k])) {
				return &passExposition{} // the registry refuses a label set sent twice
			}
		}
		b = append(b, "# HELP "...)
		b = append(b, f.info.name...)
		b = append(b, ' ')
		b = appendEscaped(b, f.info.help, false)
		b = append(b, "\n# TYPE "...)
		b = append(b, f.info.name...)
		switch f.typ {
		case prometheus.CounterValue:
			b = append(b, " counter\n"...)
		case prometheus.GaugeValue:
			b = append(b, " gauge\n"...)
		default:
			b = append(b, " untyped\n"...)
		}
		for _, k := range idx {
			b = append(b, f.info.name...)
			for j, v := range key(k) {
				if j == 0 {
					b = append(b, '{')
				} else {
					b = append(b, ',')
				}
				b = append(b, f.info.labels[j]...)
				b = append(b, `="`...)
				b = appendEscaped(b, v, true)
				b = append(b, '"')
			}
			if n > 0 {
				b = append(b, '}')
			}
			b = append(b, ' ')
			b = appendFloat(b, f.values[k])
			b = append(b, '\n')
		}
		px.names = append(px.names, f.info.name)
		px.ends = append(px.ends, len(b))
		px.counts[i], px.labels[i] = len(f.values), n
	}
	px.text = b
	return px
}

// appendEscaped appends s escaped as the text format wants: a backslash and
// a newline always, a double quote in a label value.
func appendEscaped(b []byte, s string, quote bool) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\':
			b = append(b, `\\`...)
		case c == '\n':
			b = append(b, `\n`...)
		case c == '"' && quote:
			b = append(b, `\"`...)
		default:
			b = append(b, c)
		}
	}
	return b
}

// appendFloat appends v as expfmt writes a sample value.
func appendFloat(b []byte, v float64) []byte {
	if v == 0 {
		return append(b, '0') // and -0, which AppendFloat writes "-0"
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// deflate is the pass's text as one raw deflate stream, made once.
func (px *passExposition) deflate() []byte {
	px.deflateOnce.Do(func() {
		var buf bytes.Buffer
		fw := flatePool.Get().(*flate.Writer)
		fw.Reset(&buf)
		_, _ = fw.Write(px.text)
		_ = fw.Close()
		flatePool.Put(fw)
		px.deflated = buf.Bytes()
	})
	return px.deflated
}

// flatePool holds deflate writers at the fastest level: on the pass
// metrics it is several times faster than gzip's default level (promhttp's)
// for a stream 7% longer (1× host: 13.0 KB instead of 12.2 KB), and its
// state is smaller.
var flatePool = sync.Pool{New: func() any {
	w, _ := flate.NewWriter(nil, flate.BestSpeed)
	return w
}}

// gzipHeader is the member header compress/gzip writes without a name,
// comment or time at the fastest level: ID1 ID2 CM=deflate FLG=0 MTIME=0
// XFL=4 (fastest) OS=unknown.
var gzipHeader = []byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 4, 255}

// writeGzip writes live followed by px's text as one gzip member: live is
// compressed now and ends with a sync flush (byte-aligned, not final), the
// pass's deflate stream made once follows (it refers to nothing before it),
// and the trailer holds the CRC-32 and length of the whole (RFC 1951 3.2.3,
// RFC 1952 2.3.1; pigz joins blocks the same way).
func writeGzip(w io.Writer, live []byte, px *passExposition) error {
	var buf bytes.Buffer
	buf.Write(gzipHeader)
	fw := flatePool.Get().(*flate.Writer)
	fw.Reset(&buf)
	_, _ = fw.Write(live)
	err := fw.Flush()
	flatePool.Put(fw)
	if err != nil {
		return err
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return err
	}
	if _, err := w.Write(px.deflate()); err != nil {
		return err
	}
	var trailer [8]byte
	binary.LittleEndian.PutUint32(trailer[:4], crc32.Update(crc32.ChecksumIEEE(live), crc32.IEEETable, px.text))
	binary.LittleEndian.PutUint32(trailer[4:], uint32(len(live)+len(px.text)))
	_, err = w.Write(trailer[:])
	return err
}

// expositionKey is what a rendering depends on: the report (a new one per
// pass) and the configuration load.
type expositionKey struct {
	r      *report.Report
	reload report.ReloadStatus
	hasRS  bool
}

// expositionCache holds the rendering of the last pass.
type expositionCache struct {
	descs   descTable
	pass    *passCollector
	mu      sync.Mutex
	key     expositionKey
	cur     *passExposition
	renders int // how many renderings were made, for tests
}

// get returns the rendering of the last pass, rendering it on the first
// request after a pass; concurrent requests wait for the one rendering.
func (c *expositionCache) get() *passExposition {
	r := c.pass.last()
	rs := c.pass.reloadStatus()
	k := expositionKey{r: r}
	if rs != nil {
		k.reload, k.hasRS = *rs, true
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.cur != nil && c.key == k {
		return c.cur
	}
	c.cur = renderPass(c.descs, func(send sampleFunc) { c.pass.collect(r, rs, send) }, c.cur)
	c.key = k
	c.renders++
	return c.cur
}

// metricsHandler serves /metrics: the in-flight cap, then the cached pass
// exposition with the per-request families, or the registry for what the
// cache does not serve.
type metricsHandler struct {
	cache       *expositionCache
	live        prometheus.Gatherer // every collector but the pass's
	registry    http.Handler        // promhttp over every collector, uncapped
	inFlight    chan struct{}       // nil: no cap
	maxRequests int
	errorLog    *log.Logger
}

var livePool = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func (h *metricsHandler) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if h.inFlight != nil {
		select {
		case h.inFlight <- struct{}{}:
			defer func() { <-h.inFlight }()
		default:
			// promhttp's answer for the same cap.
			http.Error(w, fmt.Sprintf("Limit of concurrent requests reached (%d), try again later.", h.maxRequests),
				http.StatusServiceUnavailable)
			return
		}
	}
	if req.URL != nil && len(req.URL.Query()["name[]"]) > 0 {
		h.registry.ServeHTTP(w, req)
		return
	}
	format := expfmt.NegotiateAccept(req.Header, expfmt.DefaultAcceptedFormats()...)
	gz, ok := negotiateGzip(req.Header)
	if format.FormatType() != expfmt.TypeTextPlain || !ok {
		h.registry.ServeHTTP(w, req)
		return
	}
	px := h.cache.get()
	if !px.fast {
		h.registry.ServeHTTP(w, req)
		return
	}
	mfs, err := h.live.Gather()
	if err != nil {
		h.errorLog.Println("error gathering metrics:", err)
		httpError(w, err)
		return
	}
	for _, mf := range mfs {
		if _, clash := slices.BinarySearch(px.names, mf.GetName()); clash {
			h.registry.ServeHTTP(w, req) // a family both send: the registry merges it
			return
		}
	}
	buf := livePool.Get().(*bytes.Buffer)
	buf.Reset()
	defer livePool.Put(buf)
	enc := expfmt.NewEncoder(buf, format)
	ends := make([]int, 0, len(mfs))
	for _, mf := range mfs {
		if err := enc.Encode(mf); err != nil {
			h.errorLog.Println("error encoding and sending metric family:", err)
			break
		}
		ends = append(ends, buf.Len())
	}
	mfs = mfs[:len(ends)]
	live := buf.Bytes()

	hdr := w.Header()
	hdr.Add("Vary", "Accept")
	hdr.Add("Vary", "Accept-Encoding")
	hdr.Set("Content-Type", string(format))
	if !gz {
		writeMerged(w, live, mfs, ends, px)
		return
	}
	hdr.Set("Content-Encoding", "gzip")
	if len(mfs) == 0 || len(px.names) == 0 || mfs[len(mfs)-1].GetName() < px.names[0] {
		if err := writeGzip(w, live, px); err != nil {
			h.errorLog.Println("error encoding and sending metric family:", err)
		}
		return
	}
	zw, _ := gzip.NewWriterLevel(w, flate.BestSpeed) // families interleave: compress the whole
	writeMerged(zw, live, mfs, ends, px)
	if err := zw.Close(); err != nil {
		h.errorLog.Println("error encoding and sending metric family:", err)
	}
}

// writeMerged writes the live families and the pass's in name order.
func writeMerged(w io.Writer, live []byte, mfs []*dto.MetricFamily, ends []int, px *passExposition) {
	i, j, li, pj := 0, 0, 0, 0
	for i < len(mfs) || j < len(px.names) {
		if j == len(px.names) || (i < len(mfs) && mfs[i].GetName() < px.names[j]) {
			k := i
			for k < len(mfs) && (j == len(px.names) || mfs[k].GetName() < px.names[j]) {
				k++
			}
			if _, err := w.Write(live[li:ends[k-1]]); err != nil {
				return
			}
			li, i = ends[k-1], k
			continue
		}
		k := j
		for k < len(px.names) && (i == len(mfs) || px.names[k] < mfs[i].GetName()) {
			k++
		}
		if _, err := w.Write(px.text[pj:px.ends[k-1]]); err != nil {
			return
		}
		pj, j = px.ends[k-1], k
	}
}

// httpError is promhttp's answer to a failed gather.
func httpError(w http.ResponseWriter, err error) {
	w.Header().Del("Content-Encoding")
	http.Error(w, "An error has occurred while serving metrics:\n\n"+err.Error(), http.StatusInternalServerError)
}

// negotiateGzip chooses between identity and gzip as promhttp does for a
// request whose Accept-Encoding lists plain codings ("gzip", "gzip,
// deflate, br"): the first of identity and gzip that a listed coding (or
// "*") names. ok is false for anything else (quality values, parameters,
// empty elements), which promhttp then negotiates itself.
func negotiateGzip(h http.Header) (gz, ok bool) {
	identity := false
	for _, v := range h["Accept-Encoding"] {
		if strings.HasPrefix(v, " ") || strings.HasPrefix(v, "\t") {
			return false, false // promhttp reads no coding from it
		}
		for _, c := range strings.Split(v, ",") {
			c = strings.Trim(c, " \t")
			if c == "" || strings.IndexFunc(c, func(r rune) bool { return !isToken(r) }) >= 0 {
				return false, false
			}
			switch c {
			case "identity", "*":
				identity = true
			case "gzip":
				gz = true
			}
		}
	}
	return gz && !identity, true
}

// isToken reports whether r may appear in an HTTP token (RFC 9110 5.6.2).
func isToken(r rune) bool {
	return r < utf8.RuneSelf && (r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' ||
		strings.ContainsRune("!#$%&'*+-.^_`|~", r))
}
