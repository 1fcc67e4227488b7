"""Polite defaults for every crawl, loaded at "project" priority by ``monitor.crawl.build_settings``.

Scrapy's own defaults suit a scraper, not a monitor that visits news sites every few minutes for months:
it ignores robots.txt, keeps cookies and waits up to three minutes for a 1 GB body. Values that
``FetchSettings`` carries (timeouts, sizes, concurrency, retries) are overwritten from it; the rest are
fixed here. Nothing in this module installs a reactor or configures logging.
"""

from __future__ import annotations

from monitor import USER_AGENT

BOT_NAME = "press-monitor"
SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# Honest identification; robots.txt groups are matched on the product token, not the whole string.
USER_AGENT = USER_AGENT
ROBOTSTXT_OBEY = True
ROBOTSTXT_USER_AGENT = "press-monitor"
ROBOTSTXT_CACHE_TTL = 3600  # seconds a parsed robots.txt is reused by later crawls in this process
ROBOTSTXT_MAX_CRAWL_DELAY = 30  # honour Crawl-delay up to this many seconds between requests

# A monitor must see what an anonymous first-time reader sees: no sessions, no meta-refresh hops
# (a refresh to a "please disable your ad blocker" page is itself evidence to keep).
COOKIES_ENABLED = False
METAREFRESH_ENABLED = False

# Throttling: a handful of pages per outlet, spread out. AutoThrottle adapts to each server's latency.
# The global limit counts requests that wait in a host's queue for its delay, so it must exceed the
# number of hosts times the per-host limit: with 16, a watchlist of 100 outlets was fetched 16 hosts
# at a time (1,000 pages: 67 s instead of 6 s). Requests still leave one per host per delay; more would
# only hold more downloaded bodies waiting for the (CPU-bound) processing.
CONCURRENT_REQUESTS = 128
# Scrapy starts this many worker tasks for EVERY response's output; ours is one item (plus a feed's
# links), handled synchronously, so 100 (the default) was 100 tasks per page for nothing.
CONCURRENT_ITEMS = 1
# Scrapy checks each response's callback for a generator that returns a value by parsing the
# callback's source with ast; its cache is keyed weakly by the bound method, which dies at once, so
# the source was parsed again for every response (6 % of a check of 304s). Our callbacks are tested.
WARN_ON_GENERATOR_RETURN_VALUE = False
CONCURRENT_REQUESTS_PER_DOMAIN = 2
# Scrapy's queue for crawls of many hosts, with the next host found in turn instead of by looking at all
# of them for every request (spiders/queues.py).
SCHEDULER_PRIORITY_QUEUE = "spiders.queues.HostTurnQueue"
DOWNLOAD_DELAY = 0.5
# No per-request jitter: Scrapy draws a new random delay every time it looks at a host's queue and waits
# until one draw is under the time elapsed, so ±50 % made the real gap well above DOWNLOAD_DELAY (1,000
# pages, 10 per host: crawl 7.6 s -> 6.1 s without it). Checks are spread by the schedule's jitter, and
# DOWNLOAD_DELAY stays the polite minimum between two requests to one host.
DOWNLOAD_DELAY_JITTER = 0.0
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 0.5  # unused: CrawlDelayAutoThrottle starts each host at DOWNLOAD_DELAY
AUTOTHROTTLE_MAX_DELAY = 30.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 1.0

# Bounds: every request and the whole crawl end in bounded time and memory.
DOWNLOAD_TIMEOUT = 30
# (No DNS_TIMEOUT/DNSCACHE here: they configure the resolver CrawlerProcess installs, and in-process
# crawls use Twisted's default one, so DNS is never cached stale for a months-long daemon. The lookup
# counts against DOWNLOAD_TIMEOUT.)
DOWNLOAD_MAXSIZE = 5_000_000
DOWNLOAD_WARNSIZE = 2_500_000
# The whole-crawl bound: spiders.extensions.CrawlDeadline, not CLOSESPIDER_TIMEOUT, which waits for
# every request already queued in the downloader (see that module).
CRAWL_DEADLINE = 600
# The components of every crawl, listed whole in the *_BASE settings instead of as changes to Scrapy's
# lists: Scrapy imports every class named in EXTENSIONS or *_MIDDLEWARES, even one set to None (it
# normalises the names), and each of its own components whose setting turns it off, so switching one
# off there still cost its import. The remote control imported aiohttp and the cookies middleware
# tldextract and requests (9 MB and 0.2 s of every `check --once`). Off here, as nothing in a monitor
# uses them: telnet console, feed export, job directory, periodic log stats, memory checks, the close
# conditions (spiders.extensions.CrawlDeadline bounds a crawl). CoreStats records the finish reason a
# check reads; LogCount the warnings and errors in its stats.
EXTENSIONS_BASE = {
    "scrapy.extensions.corestats.CoreStats": 0,
    "scrapy.extensions.logcount.LogCount": 0,
    "spiders.extensions.CrawlDeadline": 0,
    "spiders.middlewares.CrawlDelayAutoThrottle": 0,  # AutoThrottle that keeps robots.txt Crawl-delay
}
REDIRECT_MAX_TIMES = 5  # the redirect middleware itself refuses non-http(s) targets

# Only the web: a watchlist entry or feed link must never make the monitor read local files (file:),
# S3 buckets or FTP servers.
DOWNLOAD_HANDLERS = {"file": None, "s3": None, "ftp": None, "data": None}

# Every status reaches the spider, which turns it into a FetchResult; no status is silently dropped.
HTTPERROR_ALLOW_ALL = True

# Retries with exponential backoff that honour Retry-After (spiders.middlewares.BackoffRetryMiddleware
# replaces Scrapy's immediate retries). 429 is retried only when Retry-After allows it in time.
RETRY_ENABLED = True
RETRY_TIMES = 2
RETRY_HTTP_CODES = [500, 502, 503, 504, 522, 524, 408, 429]
RETRY_BACKOFF_BASE = 1.0  # seconds before the first retry; doubled for each further one
RETRY_BACKOFF_MAX = 60.0  # a longer Retry-After means "not this crawl": keep the error, do not wait
# Scrapy's downloader middlewares minus those that do nothing for a monitor (its spider has no
# allowed_domains and no HTTP auth, no code reads the downloader's byte counts, cookies, meta refresh and
# the HTTP cache are off) and with ours in place of its robots.txt, retry and redirect middlewares.
# HttpProxyMiddleware stays: it honours http_proxy/https_proxy from the environment.
DOWNLOADER_MIDDLEWARES_BASE = {
    "spiders.middlewares.HostSlotMiddleware": 50,
    # Scrapy 2.19's robots.txt middleware lets through requests that queued while robots.txt loaded.
    "spiders.middlewares.RobotsTxtForAllMiddleware": 100,
    "scrapy.downloadermiddlewares.downloadtimeout.DownloadTimeoutMiddleware": 350,
    "scrapy.downloadermiddlewares.defaultheaders.DefaultHeadersMiddleware": 400,
    "scrapy.downloadermiddlewares.useragent.UserAgentMiddleware": 500,
    "spiders.middlewares.BackoffRetryMiddleware": 550,
    "scrapy.downloadermiddlewares.httpcompression.HttpCompressionMiddleware": 590,
    "spiders.middlewares.NoRefererRedirectMiddleware": 600,  # no Referer middleware to set one (below)
    "scrapy.downloadermiddlewares.httpproxy.HttpProxyMiddleware": 750,
}
# Likewise Scrapy's spider middlewares without these: every status reaches the spider anyway
# (HTTPERROR_ALLOW_ALL), a followed link's depth is bounded by the spider's own follow limit, a Referer
# header says nothing a site should know, and the meta-copy check only warns about a coding mistake.
SPIDER_MIDDLEWARES_BASE = {
    "scrapy.spidermiddlewares.start.StartSpiderMiddleware": 25,
    "scrapy.spidermiddlewares.urllength.UrlLengthMiddleware": 800,
}

# In-process crawls share the daemon's process: no telnet console, no stats dumps to stdout, and
# Scrapy's log lines go to whatever handlers the daemon configured (AsyncCrawlerRunner installs none).
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False  # Scrapy 2.19's HTTP control port runs code on request: never in a daemon
LOG_LEVEL = "INFO"
LOGSTATS_INTERVAL = 0
STATS_DUMP = False

# The asyncio reactor lets Scrapy, APScheduler and aiosmtplib share one event loop.
TWISTED_REACTOR = "twisted.internet.asyncioreactor.AsyncioSelectorReactor"
