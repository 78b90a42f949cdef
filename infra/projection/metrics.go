package projection

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/infra/telemetry"
)

// metrics are one projection's series of the shared metric families.
type metrics struct {
	position  prometheus.Gauge
	lagEvents prometheus.Gauge
	lagSecs   prometheus.Gauge
	applied   prometheus.Counter
	failures  prometheus.Counter
	parked    prometheus.Gauge
}

func newMetrics(reg prometheus.Registerer, name string) metrics {
	gauge := func(n, help string) *prometheus.GaugeVec {
		return telemetry.Register(reg, prometheus.NewGaugeVec(prometheus.GaugeOpts{Name: n, Help: help}, []string{"projection"}))
	}
	counter := func(n, help string) *prometheus.CounterVec {
		return telemetry.Register(reg, prometheus.NewCounterVec(prometheus.CounterOpts{Name: n, Help: help}, []string{"projection"}))
	}
	return metrics{
		position:  gauge("helpdesk_projection_position", "Stream sequence of the last event the projection applied.").WithLabelValues(name),
		lagEvents: gauge("helpdesk_projection_lag_events", "Events in the stream not yet applied by the projection.").WithLabelValues(name),
		lagSecs:   gauge("helpdesk_projection_lag_seconds", "Age of the last applied event while more are pending; 0 when caught up.").WithLabelValues(name),
		applied:   counter("helpdesk_projection_events_applied_total", "Events applied by the projection.").WithLabelValues(name),
		failures:  counter("helpdesk_projection_failures_total", "Failed attempts to apply a batch of events.").WithLabelValues(name),
		parked:    gauge("helpdesk_projection_parked_events", "Events the projection skipped after repeated failures (alert when above 0; see projection_parked).").WithLabelValues(name),
	}
}

func (m metrics) observe(pos, pending uint64, lastAt time.Time, applied int) {
	m.position.Set(float64(pos))
	m.lagEvents.Set(float64(pending))
	switch {
	case pending == 0:
		m.lagSecs.Set(0)
	case lastAt.IsZero(): // only skipped events: the lag in time is unknown
	default:
		m.lagSecs.Set(time.Since(lastAt).Seconds())
	}
	m.applied.Add(float64(applied))
}
