package gateway

import (
	"fmt"
	"math"
	"net/netip"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/labstack/echo/v5"

	"helpdesk/contracts/problem"
)

// RateLimit is a token bucket: a client may send Burst requests at once,
// and then PerSecond requests a second. The zero value means the default
// (DefaultRateLimitIP or DefaultRateLimitAccount); Off disables the limit.
type RateLimit struct {
	PerSecond float64
	Burst     int
	Off       bool
}

// ParseRateLimit reads a rate limit as the command line gives it:
// "RATE" (requests a second, burst twice the rate), "RATE:BURST", or "off".
func ParseRateLimit(s string) (RateLimit, error) {
	s = strings.TrimSpace(s)
	if s == "off" {
		return RateLimit{Off: true}, nil
	}
	rateText, burstText, hasBurst := strings.Cut(s, ":")
	rate, err := strconv.ParseFloat(rateText, 64)
	if err != nil || rate <= 0 || math.IsInf(rate, 0) || math.IsNaN(rate) {
		return RateLimit{}, fmt.Errorf("rate limit %q: want requests a second (such as 50), RATE:BURST (50:100) or off", s)
	}
	burst := int(math.Ceil(2 * rate))
	if hasBurst {
		if burst, err = strconv.Atoi(burstText); err != nil || burst < 1 {
			return RateLimit{}, fmt.Errorf("rate limit %q: the burst after ':' must be a whole number of requests, at least 1", s)
		}
	}
	return RateLimit{PerSecond: rate, Burst: burst}, nil
}

// String formats l as ParseRateLimit reads it.
func (l RateLimit) String() string {
	if l.Off {
		return "off"
	}
	return strconv.FormatFloat(l.PerSecond, 'g', -1, 64) + ":" + strconv.Itoa(l.Burst)
}

func (l RateLimit) validate(what string) []error {
	if l.Off || l == (RateLimit{}) || (l.PerSecond > 0 && l.Burst >= 1) {
		return nil
	}
	return []error{fmt.Errorf("gateway: the %s rate limit needs a positive rate and a burst of at least 1 (got %v)", what, l)}
}

// maxBuckets bounds the memory of a limiter under a flood of addresses or
// accounts: about 100 bytes a bucket.
const maxBuckets = 100_000

// limiter keeps a token bucket per key (a client address or an account).
// A bucket that has refilled is as good as a new one, so idle buckets are
// dropped: every minute, and whenever there are maxBuckets.
type limiter struct {
	limit RateLimit

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

func newLimiter(l RateLimit) *limiter {
	return &limiter{limit: l, buckets: map[string]*bucket{}}
}

// take spends a token of key's bucket; when there is none it returns how
// long until there is one.
func (l *limiter) take(key string, now time.Time) (wait time.Duration) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.lastSweep) >= time.Minute || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(l.limit.Burst), last: now}
		l.buckets[key] = b
	}
	b.tokens = min(float64(l.limit.Burst), b.tokens+now.Sub(b.last).Seconds()*l.limit.PerSecond)
	b.last = now
	if b.tokens >= 1 {
		b.tokens--
		return 0
	}
	return time.Duration((1 - b.tokens) / l.limit.PerSecond * float64(time.Second))
}

// sweep drops the buckets that have refilled; if that leaves the map full
// (a flood of fresh keys), it starts over: a flood's clients get a full
// bucket again, which costs at most one burst each.
func (l *limiter) sweep(now time.Time) {
	l.lastSweep = now
	refill := time.Duration(float64(l.limit.Burst) / l.limit.PerSecond * float64(time.Second))
	for k, b := range l.buckets {
		if now.Sub(b.last) >= refill {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}

// rateLimits are the gateway's per-address and per-account limiters; a
// nil limiter does not limit.
type rateLimits struct {
	ip, account *limiter
	loopback    bool
}

func newRateLimits(e Edge) rateLimits {
	var r rateLimits
	if !e.RateLimitIP.Off {
		r.ip = newLimiter(e.RateLimitIP)
	}
	if !e.RateLimitAccount.Off {
		r.account = newLimiter(e.RateLimitAccount)
	}
	r.loopback = e.RateLimitLoopback
	return r
}

// exempt reports whether the client at ip is not limited.
func (r rateLimits) exempt(ip string) bool {
	if r.loopback {
		return false
	}
	a, err := netip.ParseAddr(ip)
	return err == nil && a.IsLoopback()
}

// tooMany is the answer to a client over its limit: 429 with Retry-After
// in whole seconds.
func tooMany(c *echo.Context, wait time.Duration, what string) error {
	seconds := int(math.Ceil(wait.Seconds()))
	c.Response().Header().Set("Retry-After", strconv.Itoa(seconds))
	return problem.New(problem.CodeTooManyRequests, "too many requests from this %s; try again in %d s", what, seconds)
}

// limitIP is the middleware that limits the requests of a client address.
func (s *Server) limitIP(next echo.HandlerFunc) echo.HandlerFunc {
	if s.limits.ip == nil {
		return next
	}
	return func(c *echo.Context) error {
		ip := c.RealIP()
		if !s.limits.exempt(ip) {
			if wait := s.limits.ip.take(addressKey(ip), time.Now()); wait > 0 {
				return tooMany(c, wait, "address")
			}
		}
		return next(c)
	}
}

// addressKey is the bucket of a client address: the address itself, or
// for IPv6 its /64 network. One subscriber is given at least a /64, so
// limiting single IPv6 addresses would give each client 2^64 buckets.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil || !a.Is6() || a.Is4In6() {
		return ip
	}
	p, err := a.Prefix(64)
	if err != nil {
		return ip
	}
	return p.String()
}

// limitAccount is the middleware, after authentication, that limits the
// requests of a signed-in account.
func (s *Server) limitAccount(next echo.HandlerFunc) echo.HandlerFunc {
	if s.limits.account == nil {
		return next
	}
	return func(c *echo.Context) error {
		if id := callerOf(c).ID; id != "" && !s.limits.exempt(c.RealIP()) {
			if wait := s.limits.account.take(id, time.Now()); wait > 0 {
				return tooMany(c, wait, "account")
			}
		}
		return next(c)
	}
}
