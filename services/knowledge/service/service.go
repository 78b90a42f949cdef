// Package service wires the knowledge-base service: repositories,
// application, NATS endpoints, the catalog and search-index projections
// (the questions index also drafts articles from resolved tickets), and the
// view counter. `helpdesk up` and `helpdesk serve knowledge` use it.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"time"

	"github.com/nats-io/nats.go"
	"github.com/prometheus/client_golang/prometheus"

	"helpdesk/contracts/kbapi"
	"helpdesk/contracts/subjects"
	"helpdesk/contracts/ticketapi"
	"helpdesk/infra/aggregate"
	"helpdesk/infra/background"
	"helpdesk/infra/eventstore"
	"helpdesk/infra/projection"
	"helpdesk/infra/rpc"
	"helpdesk/infra/sqlstore"
	"helpdesk/services/knowledge/adapters"
	"helpdesk/services/knowledge/app"
	"helpdesk/services/knowledge/app/command"
	"helpdesk/services/knowledge/app/query"
	"helpdesk/services/knowledge/domain/kb"
	"helpdesk/services/knowledge/ports"
)

// Config configures the knowledge service.
type Config struct {
	Conn  *nats.Conn
	Store eventstore.Store
	// DB holds the catalog read model.
	DB *sqlstore.DB
	// IndexDir holds the search indexes; empty keeps them in memory, rebuilt
	// from the event streams on every start.
	IndexDir   string
	Logger     *slog.Logger
	Registerer prometheus.Registerer
	// Clock tells the time; default time.Now.
	Clock func() time.Time
	// ViewInterval is how often counted views are stored; default 10s.
	ViewInterval time.Duration
	// SearchCache is how many recent search and suggestion results are
	// kept until an index changes; default 10000, negative for none.
	SearchCache int
}

func (c *Config) setDefaults() {
	if c.Logger == nil {
		c.Logger = slog.Default()
	}
	if c.Registerer == nil {
		c.Registerer = prometheus.DefaultRegisterer
	}
	if c.Clock == nil {
		c.Clock = time.Now
	}
	if c.ViewInterval <= 0 {
		c.ViewInterval = 10 * time.Second
	}
	if c.SearchCache == 0 {
		c.SearchCache = 10000
	}
}

// Validate reports every missing setting.
func (c *Config) Validate() error {
	var errs []error
	if c.Conn == nil {
		errs = append(errs, errors.New("knowledge: Conn is required"))
	}
	if c.Store == nil {
		errs = append(errs, errors.New("knowledge: Store is required"))
	}
	if c.DB == nil {
		errs = append(errs, errors.New("knowledge: DB is required"))
	}
	return errors.Join(errs...)
}

// Service is a running knowledge service.
type Service struct {
	App     app.Application
	Catalog *adapters.Catalog
	// Articles and Questions are the search indexes.
	Articles  *adapters.SearchIndex
	Questions *adapters.SearchIndex
	// Projections are the catalog, the two indexes (the questions index
	// also drafts articles from resolved tickets) and the drafts from
	// calls' resolution notes.
	Projections []*projection.Runner
	Views       *ports.ViewCounter
	// SearchCache is the result cache, nil when disabled.
	SearchCache *adapters.ResultCache

	rpc   *rpc.Service
	loops *background.Group
}

// Projection returns the runner of the named projection, or nil.
func (s *Service) Projection(name string) *projection.Runner {
	for _, r := range s.Projections {
		if r.Name() == name {
			return r
		}
	}
	return nil
}

// Start builds the service and runs its endpoints and projections until
// Stop.
func Start(ctx context.Context, cfg Config) (_ *Service, err error) {
	cfg.setDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	s := &Service{Catalog: adapters.NewCatalog(cfg.DB)}
	defer func() {
		if err != nil {
			s.closeIndexes()
		}
	}()
	deps := command.Deps{
		Categories: &aggregate.Repository[*kb.Category]{Store: cfg.Store, Kind: "category", Source: kbapi.Source,
			Ref: subjects.Category, Rebuild: kb.CategoryFromEvents, Now: cfg.Clock, Retries: 5},
		Articles: &aggregate.Repository[*kb.Article]{Store: cfg.Store, Kind: "article", Source: kbapi.Source,
			Ref: subjects.Article, Rebuild: kb.ArticleFromEvents, Now: cfg.Clock, Retries: 5},
		Feedback: &aggregate.Repository[*kb.Feedback]{Store: cfg.Store, Kind: "article feedback", Source: kbapi.Source,
			Ref: subjects.Feedback, Rebuild: kb.FeedbackFromEvents, Now: cfg.Clock, Retries: 10},
		Clock: cfg.Clock,
	}
	if s.Articles, err = openIndex(cfg.IndexDir, "kb_articles_index", subjects.ServiceKnowledge, adapters.ArticleDocs); err != nil {
		return nil, err
	}
	questions := &adapters.TicketQuestions{Tickets: cfg.Store}
	if s.Questions, err = openIndex(cfg.IndexDir, "kb_questions_index", subjects.ServiceTicket, adapters.QuestionDocs{Questions: questions}.Map,
		ticketapi.EventResolved, ticketapi.EventReopened); err != nil {
		return nil, err
	}
	searcher := &adapters.Searcher{Articles: s.Articles, Questions: s.Questions, Now: cfg.Clock}
	if cfg.SearchCache > 0 {
		if searcher.Cache, err = adapters.NewResultCache(cfg.SearchCache); err != nil {
			return nil, err
		}
	}
	s.SearchCache = searcher.Cache
	draftFromSource := command.NewDraftFromSourceHandler(deps, s.Catalog)
	recordViews := command.NewRecordViewsHandler(deps)
	s.Views = &ports.ViewCounter{Record: recordViews, Clock: cfg.Clock, Interval: cfg.ViewInterval, Logger: cfg.Logger}
	s.App = app.Application{
		Commands: app.Commands{
			CreateCategory:  command.NewCreateCategoryHandler(deps),
			ChangeCategory:  command.NewChangeCategoryHandler(deps),
			Draft:           command.NewDraftArticleHandler(deps),
			DraftFromSource: draftFromSource,
			Edit:            command.NewEditArticleHandler(deps),
			Publish:         command.NewPublishArticleHandler(deps),
			Archive:         command.NewArchiveArticleHandler(deps),
			Vote:            command.NewVoteHandler(deps),
			RecordViews:     recordViews,
		},
		Queries: app.Queries{
			Categories: query.NewCategoriesHandler(s.Catalog, s.Catalog),
			Article:    query.NewArticleHandler(deps.Articles, s.Catalog, s.Views),
			List:       query.NewListArticlesHandler(s.Catalog, s.Catalog),
			Versions:   query.NewVersionsHandler(deps.Articles),
			Search:     query.NewSearchHandler(searcher, s.Catalog),
			Suggest:    query.NewSuggestHandler(searcher, s.Catalog),
		},
	}
	reaction := adapters.NewTicketDrafts(questions, draftFromSource, adapters.IdentityPeople{Conn: cfg.Conn})
	if err := s.Questions.SetReaction(reaction.React); err != nil {
		return nil, err
	}
	// The indexes linger to batch: an index commit is dear, and readers of
	// search and of drafts do not notice 50 ms. A replay fills batches of
	// 8192 events: each is two segments to write and later merge (see
	// adapters.SearchIndex), and fewer, larger ones cost less of both.
	callDrafts, err := projection.NewReactionTarget(ctx, cfg.DB, adapters.NewCallDrafts(draftFromSource))
	if err != nil {
		return nil, err
	}
	for _, rc := range []projection.RunnerConfig{
		{DB: cfg.DB, Handler: s.Catalog},
		{Target: callDrafts},
		{Target: s.Articles, MaxBatch: 8192, Linger: 50 * time.Millisecond},
		{Target: s.Questions, MaxBatch: 8192, Linger: 50 * time.Millisecond},
	} {
		rc.Conn, rc.Logger, rc.Registerer = cfg.Conn, cfg.Logger, cfg.Registerer
		r, err := projection.NewRunner(rc)
		if err != nil {
			return nil, fmt.Errorf("knowledge projection: %w", err)
		}
		s.Projections = append(s.Projections, r)
	}
	svc, err := rpc.NewService(cfg.Conn, rpc.ServiceConfig{Name: subjects.ServiceKnowledge, Logger: cfg.Logger, Registerer: cfg.Registerer})
	if err != nil {
		return nil, err
	}
	if err := errors.Join(ports.RegisterEndpoints(svc, s.App), projection.RegisterControl(svc, s.Projections...)); err != nil {
		_ = svc.Stop()
		return nil, err
	}
	s.rpc = svc
	s.loops = background.Start(ctx)
	for _, r := range s.Projections {
		s.loops.Go(r.Loop(cfg.Logger))
	}
	s.loops.Go(s.Views.Run)
	return s, nil
}

func openIndex(dir, name, service string, mapper adapters.Mapper, types ...string) (*adapters.SearchIndex, error) {
	if dir != "" {
		dir = filepath.Join(dir, name)
	}
	idx, err := adapters.OpenSearchIndex(name, subjects.Stream(service), dir, mapper, types...)
	if err != nil {
		return nil, fmt.Errorf("knowledge: %w", err)
	}
	return idx, nil
}

func (s *Service) closeIndexes() {
	for _, idx := range []*adapters.SearchIndex{s.Articles, s.Questions} {
		if idx != nil {
			_ = idx.Close()
		}
	}
}

// Stop stops serving requests, then the projections and the view counter
// (which stores the views it holds), and closes the indexes.
func (s *Service) Stop() error {
	err := s.rpc.Stop()
	s.loops.Stop()
	s.closeIndexes()
	return err
}
