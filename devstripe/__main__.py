"""``python -m devstripe --port 12111 --webhook-url http://127.0.0.1:8000/stripe/webhook/``"""

import argparse
import signal
import threading

from .server import DevStripe


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devstripe",
        description="A click-through stand-in for Stripe (development only, no real payments).",
    )
    parser.add_argument("--port", type=int, default=0, help="0 picks a free port")
    parser.add_argument("--public-url", help="the base URL browsers reach this server at")
    parser.add_argument("--webhook-url", help="where to send the site's webhooks")
    parser.add_argument("--webhook-secret", required=True, help="STRIPE_WEBHOOK_SECRET")
    parser.add_argument("--state-file", help="keep customers and subscriptions across restarts")
    args = parser.parse_args(argv)
    server = DevStripe(
        port=args.port,
        public_url=args.public_url,
        webhook_url=args.webhook_url,
        webhook_secret=args.webhook_secret,
        state_file=args.state_file,
    )
    server.start()
    print(f"DEVSTRIPE_READY {server.base_url}", flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    try:
        stopped.wait()
    except KeyboardInterrupt:
        pass
    server.stop()


if __name__ == "__main__":
    main()
