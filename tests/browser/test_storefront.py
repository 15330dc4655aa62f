#!/usr/bin/python3
"""The storefront in a real headless Chromium against a real mercato-server with demo data.

    test_storefront.py MERCATO_SERVER [SCREENSHOT_DIR]

One server, one browser (and a second pair with Stripe configured). Journeys: the store's
name, currency and logo from its settings; keyboard use; a new customer registers, searches, adds two products,
checks out with coins, the seller marks the order paid (API), the customer sees it paid,
reviews a product (with markup that must stay text), asks a refund with a photo and sees the
seller's decision (the coins shown at checkout are the ones the order uses); an order cancelled
before payment; a seller's discount code at checkout (refused in plain words, then applied
with the tax GET /cart prices) and the paid order's invoice; a signed-out walk that logs
nothing in the console; a wrong password; forgot and reset password from the mailed link; the friendly
404 page; checkout with Stripe when Stripe.js cannot load; CSP and cache headers.
Screenshots of each page at desktop and phone width go to SCREENSHOT_DIR.
"""
import email
import email.policy
import glob
import json
import os
import re
import shutil
import socket
import sqlite3
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import urllib.error
import urllib.parse
import urllib.request
import zlib

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import Select, WebDriverWait

SERVER = sys.argv[1]
SHOTS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.getcwd(), 'screenshots', 'storefront')
XSS = '<img src=x onerror=alert(1)>'
PEERS = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'peers')


def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def png(path, w=16, h=16):
    raw = b''.join(b'\x00' + bytes((200, 80 + x * 8, 40)) * 1 + bytes((200, 80, 40)) * (w - 1) for x in range(h))
    def chunk(kind, data):
        return struct.pack('>I', len(data)) + kind + data + struct.pack('>I', zlib.crc32(kind + data) & 0xffffffff)
    with open(path, 'wb') as f:
        f.write(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', struct.pack('>IIBBBBB', w, h, 8, 2, 0, 0, 0))
                + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))


class Failure(Exception):
    pass


def check(cond, message):
    if not cond:
        raise Failure(message)


class Shop:
    def __init__(self, extra_env=None):
        self.dir = tempfile.mkdtemp(prefix='mercato-browser-')
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        env = dict(os.environ)
        env.update({
            'MERCATO_LISTEN': f'127.0.0.1:{self.port}', 'MERCATO_DATA_DIR': self.dir,
            'MERCATO_PUBLIC_URL': self.base, 'MERCATO_DEMO': '1', 'MERCATO_AUTH_RATE_LIMIT': '0',
            'MERCATO_TIMEZONE': 'UTC', 'MERCATO_WORKERS': '2',
            'MERCATO_JWT_SECRET': 'c3RvcmVmcm9udC1icm93c2VyLXRlc3Qta2V5LTMyLWJ5dGVzIQ==',
            'MERCATO_CURRENCY': 'EUR',
        })
        env.update(extra_env or {})
        self.log = open(os.path.join(self.dir, 'server.log'), 'w')
        self.proc = subprocess.Popen([SERVER], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        # Filling the demo store takes a while on a busy machine: wait as long as the server
        # runs, up to two minutes.
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and self.proc.poll() is None:
            try:
                if urllib.request.urlopen(self.base + '/readyz', timeout=1).status == 200:
                    return
            except (urllib.error.URLError, ConnectionError, OSError):
                time.sleep(0.1)
        raise Failure('mercato-server did not become ready')

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def request(self, method, path, body=None, token=None, headers=None):
        data = json.dumps(body).encode() if body is not None else None
        h = dict(headers or {})
        if data is not None:
            h['Content-Type'] = 'application/json'
        if token:
            h['Authorization'] = f'Bearer {token}'
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=h)
        try:
            with urllib.request.urlopen(req, timeout=10) as r:
                return r.status, dict(r.headers), r.read()
        except urllib.error.HTTPError as e:
            return e.code, dict(e.headers), e.read()

    def json(self, method, path, body=None, token=None):
        status, _, raw = self.request(method, path, body, token)
        check(200 <= status < 300, f'{method} {path} -> {status} {raw[:300]!r}')
        return json.loads(raw) if raw else None

    def login(self, email, password):
        return self.json('POST', '/api/v1/auth/login', {'email': email, 'password': password})['accessToken']


class Browser:
    def __init__(self, shop, extra_args=()):
        self.shop = shop
        o = webdriver.ChromeOptions()
        o.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
        for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                  '--window-size=1280,900', '--lang=en-US', *extra_args):
            o.add_argument(a)
        o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        self.d = webdriver.Chrome(service=Service(shutil.which('chromedriver') or '/usr/bin/chromedriver'), options=o)
        self.d.set_page_load_timeout(20)
        self.wait = WebDriverWait(self.d, 20)
        os.makedirs(SHOTS, exist_ok=True)

    def quit(self):
        self.d.quit()

    def ready(self):
        self.wait.until(lambda d: d.execute_script("return document.body.dataset.page") == 'ready')

    def open(self, path):
        self.d.get(self.shop.base + path)
        self.ready()

    def click_link(self, text):
        self.wait.until(EC.element_to_be_clickable((By.XPATH, f'//a[normalize-space(.)="{text}"]'))).click()
        self.ready()

    def click_id(self, element_id):
        self.wait.until(EC.element_to_be_clickable((By.ID, element_id))).click()
        self.ready()

    def css(self, selector):
        return self.wait.until(EC.presence_of_element_located((By.CSS_SELECTOR, selector)))

    def fill(self, label, value):
        field = self.d.find_element(By.XPATH, f'//label[normalize-space()="{label}"]')
        el = self.d.find_element(By.ID, field.get_attribute('for'))
        el.clear()
        el.send_keys(value)
        return el

    def submit(self, text):
        self.d.find_element(By.XPATH, f'//button[normalize-space()="{text}"]').click()

    def h1(self):
        return self.css('main h1').text

    def wait_text(self, selector, text):
        try:
            self.wait.until(EC.text_to_be_present_in_element((By.CSS_SELECTOR, selector), text))
        except TimeoutException:
            els = self.d.find_elements(By.CSS_SELECTOR, selector)
            raise Failure(f'{selector!r} never showed {text!r}; it shows {[e.text for e in els][:3]!r} on {self.d.current_url}')

    def no_alert(self):
        try:
            alert = self.d.switch_to.alert
            text = alert.text
            alert.dismiss()
            raise Failure(f'an alert ran: {text!r}')
        except NoAlertPresentException:
            pass

    shots = 0  # one numbering for every browser of the run

    AUDIT = """
      const unlabelled = [...document.querySelectorAll('input, select, textarea')]
        .filter((e) => e.type !== 'hidden' && !(e.labels && e.labels.length)
          && !e.getAttribute('aria-label') && !e.getAttribute('aria-labelledby'))
        .map((e) => e.outerHTML.slice(0, 80));
      const noAlt = [...document.querySelectorAll('img:not([alt])')].map((e) => e.outerHTML.slice(0, 80));
      const nameless = [...document.querySelectorAll('button, a[href]')]
        .filter((e) => !(e.textContent.trim() || e.getAttribute('aria-label') || e.querySelector('img[alt]:not([alt=""])')))
        .map((e) => e.outerHTML.slice(0, 80));
      const width = document.documentElement.clientWidth;
      const wide = [...document.querySelectorAll('body *')]
        .filter((e) => e.getBoundingClientRect().right > width + 1 && !e.closest('.table-wrap, .sr'))
        .slice(-3).map((e) => `${e.outerHTML.slice(0, 60)} right=${Math.round(e.getBoundingClientRect().right)}`);
      return { unlabelled, noAlt, nameless, wide,
        overflow: document.documentElement.scrollWidth - width };
    """

    def screenshot(self, name):
        """Saves the page at desktop and phone width, and checks each page on the way: every
        control labelled, every image with alt text, every button and link named, and nothing
        wider than the phone's screen."""
        Browser.shots += 1
        for label, size in (('desktop', (1280, 800)), ('phone', (390, 844))):
            self.d.set_window_size(*size)
            time.sleep(0.05)
            audit = self.d.execute_script(self.AUDIT)
            check(not audit['unlabelled'], f'{name}: controls without a label: {audit["unlabelled"]}')
            check(not audit['noAlt'], f'{name}: images without alt: {audit["noAlt"]}')
            check(not audit['nameless'], f'{name}: buttons or links without a name: {audit["nameless"]}')
            check(audit['overflow'] <= 1, f'{name} at {label} width scrolls sideways by {audit["overflow"]} px: {audit["wide"]}')
            self.d.save_screenshot(os.path.join(SHOTS, f'{Browser.shots:02d}-{name}-{label}.png'))
        self.d.set_window_size(1280, 900)

    def csp_errors(self):
        return [e['message'] for e in self.d.get_log('browser')
                if 'Content Security Policy' in e['message'] or 'Refused to' in e['message']]


def test_headers(shop):
    """CSP on every page the browser opens; index revalidated, assets cached for a year."""
    pages = ['/', '/shop', '/shop/products/x', '/shop/login', '/shop/cart', '/shop/orders',
             '/reset-password?token=abc', '/shop/notifications']
    for p in pages:
        status, h, body = shop.request('GET', p, headers={'Accept': 'text/html'})
        check(status == 200, f'{p}: {status}')
        csp = h.get('Content-Security-Policy', '')
        check("frame-ancestors 'none'" in csp and "script-src 'self'" in csp and 'unsafe-inline' not in csp,
              f'{p}: CSP {csp!r}')
        check(h.get('Cache-Control') == 'no-cache', f'{p}: Cache-Control {h.get("Cache-Control")!r}')
        check(h.get('X-Content-Type-Options') == 'nosniff', f'{p}: no nosniff')
    status, h, body = shop.request('GET', '/', headers={'Accept': 'text/html'})
    assets = [a.split('"')[0] for a in body.decode().split('"/assets/')[1:]]
    check(assets, 'index references no assets')
    for a in assets:
        s, h, _ = shop.request('GET', '/assets/' + a)
        check(s == 200 and h.get('Cache-Control') == 'public, max-age=31536000, immutable', f'{a}: {s} {h.get("Cache-Control")}')
    s, h, _ = shop.request('GET', '/nope', headers={'Accept': 'text/html'})
    check(s == 404 and h.get('Content-Type', '').startswith('text/html'), f'/nope for a browser: {s}')
    s, h, _ = shop.request('GET', '/nope', headers={'Accept': 'application/json'})
    check(s == 404 and h.get('Content-Type', '').startswith('application/problem+json'), f'/nope for an API client: {s}')


def set_store_name(shop, name):
    """What the console's Settings page saves (saveStoreDetails): the store.name row."""
    db = sqlite3.connect(os.path.join(shop.dir, 'mercato.db'), timeout=10)
    with db:
        db.execute("INSERT INTO store_settings (name, value) VALUES ('store.name', ?) "
                   "ON CONFLICT (name) DO UPDATE SET value = excluded.value", (name,))
    db.close()


def test_store_facts(shop, b):
    """Name, currency and logo come from the seller's settings."""
    facts = shop.json('GET', '/api/v1/store')
    check(facts['currency'] == 'EUR', f'/store currency {facts["currency"]!r}')
    check(facts['logoUrl'], 'the demo store has no logo')
    b.open('/')
    logo = b.css('#store-logo')
    check(logo.get_attribute('src') == facts['logoUrl'], f'header logo {logo.get_attribute("src")!r} is not {facts["logoUrl"]!r}')
    check(logo.get_attribute('alt') == facts['name'], f'logo alt {logo.get_attribute("alt")!r}')
    b.wait.until(lambda d: d.execute_script('return arguments[0].complete && arguments[0].naturalWidth', logo) > 0)
    check(b.css('#store-name').text == facts['name'], f'header name {b.css("#store-name").text!r}')
    check(b.d.title.endswith(facts['name']), f'title {b.d.title!r}')
    # Prices are formatted for the store's currency.
    prices = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card .price')]
    check(prices and all('€' in p for p in prices), f'prices not in euros: {prices[:3]}')

    set_store_name(shop, 'Bean & Leaf')
    check(shop.json('GET', '/api/v1/store')['name'] == 'Bean & Leaf', '/store did not follow the settings')
    b.open('/')
    b.wait_text('#store-name', 'Bean & Leaf')
    check(b.d.title.endswith('Bean & Leaf'), f'title {b.d.title!r}')
    check(b.css('#store-logo').get_attribute('alt') == 'Bean & Leaf', 'logo alt did not follow the name')
    check('Bean & Leaf' in b.css('#store-foot').text, 'footer did not follow the name')
    b.screenshot('store-name-and-logo')
    set_store_name(shop, facts['name'])


def test_signed_out_console(shop, b):
    """A visitor who never signed in walks the main pages: no request fails and the console
    stays clean (no refresh is tried without a sign-in in this browser)."""
    b.d.get_log('browser')  # what earlier pages logged
    product = shop.json('GET', '/api/v1/products?limit=1')['items'][0]
    for path in ('/', '/shop', f"/shop/products/{product['id']}", '/shop?q=coffee', '/shop/login',
                 '/shop/register', '/shop/forgot', '/shop/cart', '/shop/orders'):
        b.open(path)
        time.sleep(0.2)  # a late request would log after the page says it is ready
        logged = [e['message'] for e in b.d.get_log('browser') if e['level'] in ('SEVERE', 'WARNING')]
        check(not logged, f'{path} signed out logs {logged}')
    check('Sign in' in b.css('#menu').text, 'the walk is not signed out')


def test_keyboard(b):
    """Skip link first, then a sign-in done with the keyboard alone."""
    b.open('/')
    body = b.d.find_element(By.TAG_NAME, 'body')
    body.send_keys(Keys.TAB)
    active = b.d.switch_to.active_element
    check(active.text == 'Skip to content', f'first tab stop is {active.tag_name} {active.text!r}')
    active.send_keys(Keys.ENTER)
    check(b.d.switch_to.active_element.get_attribute('id') == 'main', 'the skip link did not move focus to the content')

    b.open('/shop/login')
    check(b.d.switch_to.active_element.get_attribute('name') == 'email', 'the sign-in page does not focus the email field')
    b.d.switch_to.active_element.send_keys('alice@demo.mercato.test', Keys.TAB)
    check(b.d.switch_to.active_element.get_attribute('name') == 'password', 'Tab from email does not reach the password')
    b.d.switch_to.active_element.send_keys('demo-customer-pass', Keys.ENTER)
    b.wait_text('#menu', 'Alice Example')
    b.ready()
    # The first product by Tab and Enter, then Add to cart by keyboard.
    link = b.css('.card-link')
    name = link.text.strip()
    link.send_keys(Keys.ENTER)
    b.ready()
    check(b.h1() == name, f'Enter on a product link opened {b.h1()!r}')
    button = b.d.find_element(By.XPATH, '//button[normalize-space()="Add to cart"]')
    if button.is_enabled():
        button.send_keys(Keys.ENTER)
        b.wait_text('#flash', 'Added')
    logout = b.css('#logout')
    logout.send_keys(Keys.ENTER)
    b.wait_text('#menu', 'Sign in')


def outbox_link(shop, email_address, page='reset-password'):
    for _ in range(100):
        for path in sorted(glob.glob(os.path.join(shop.dir, 'outbox', '*.eml')), key=os.path.getmtime, reverse=True):
            with open(path, 'rb') as f:
                msg = email.message_from_binary_file(f, policy=email.policy.default)
            if email_address not in str(msg['To']):
                continue
            body = msg.get_body(preferencelist=('plain', 'html')).get_content()
            m = re.search(r'(https?://\S+/' + page + r'\?token=[^\s"<>]+)', body)
            if m:
                return m.group(1)
        time.sleep(0.1)
    raise Failure(f'no {page} mail for {email_address} in the outbox')


def test_password_reset(shop, b):
    """Forgot password, the link from the mail, a new password, sign-in with it."""
    b.open('/shop/login')
    b.click_link('Forgot your password?')
    check(b.h1() == 'Forgot your password?', b.h1())
    b.fill('Email', 'bob@demo.mercato.test')
    b.screenshot('forgot-password')
    b.submit('Send the link')
    b.wait_text('main h1', 'Check your mail')
    link = outbox_link(shop, 'bob@demo.mercato.test')
    check(link.startswith(shop.base + '/reset-password?token='), f'reset link {link!r}')
    b.d.get(link)
    b.ready()
    check(b.h1() == 'Choose a new password', b.h1())
    b.fill('New password (at least 10 characters)', 'bob-new-password-1')
    b.screenshot('reset-password')
    b.submit('Save password')
    b.wait.until(lambda d: d.current_url.endswith('/shop/login'))
    b.ready()
    b.wait_text('#flash', 'Your password is changed')
    # The link works once.
    b.d.get(link)
    b.ready()
    b.fill('New password (at least 10 characters)', 'bob-other-password')
    b.submit('Save password')
    b.wait_text('.form-error', 'used, expired or wrong')
    b.open('/shop/login')
    b.fill('Email', 'bob@demo.mercato.test')
    b.fill('Password', 'bob-new-password-1')
    b.submit('Sign in')
    b.wait_text('#menu', 'Bob Example')
    b.d.find_element(By.ID, 'logout').click()
    b.wait_text('#menu', 'Sign in')


def test_not_found(shop, b):
    """An unknown address gives the friendly page (HTML 404), with a way back to the shop."""
    b.d.get(shop.base + '/no/such/page')
    b.wait_text('main h1', 'Page not found')
    check(b.d.title == 'Page not found', b.d.title)
    b.screenshot('not-found')
    b.d.find_element(By.LINK_TEXT, 'Go to the shop').click()
    b.ready()
    check(b.d.find_elements(By.CSS_SELECTOR, '.card'), 'the shop did not open from the 404 page')
    # An unknown shop page inside the app says so too.
    b.open('/shop/products/no-such-product')
    b.wait_text('main h1', 'Not found')


def test_switched_off():
    """MERCATO_STOREFRONT=off: no shop, / and unknown paths are problem+json, the API stays."""
    shop = Shop({'MERCATO_STOREFRONT': 'off'})
    try:
        for path in ('/', '/shop', '/shop/products/x', '/nope'):
            status, h, _ = shop.request('GET', path, headers={'Accept': 'text/html'})
            check(status == 404 and h.get('Content-Type', '').startswith('application/problem+json'),
                  f'{path} with the storefront off: {status} {h.get("Content-Type")}')
        check(shop.json('GET', '/api/v1/store')['currency'] == 'EUR', 'the API is gone too')
    finally:
        shop.stop()
        shutil.rmtree(shop.dir, ignore_errors=True)


class Blackhole:
    """A TCP port that accepts connections and never answers: a host that hangs."""
    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(('127.0.0.1', 0))
        self.sock.listen(16)
        self.port = self.sock.getsockname()[1]
        self.conns = []
        self.stop = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while not self.stop:
            try:
                c, _ = self.sock.accept()
                self.conns.append(c)
            except OSError:
                return

    def close(self):
        self.stop = True
        for c in self.conns:
            c.close()
        self.sock.close()


def test_stripe_checkout():
    """With Stripe configured the order page wants Stripe.js from js.stripe.com; when it does not
    load (here: the host hangs), the page says so within seconds and offers another try."""
    fake = subprocess.Popen([sys.executable, os.path.join(PEERS, 'fake_stripe.py'), '--port', '0'],
                            stdout=subprocess.PIPE, text=True)
    hole = Blackhole()
    shop = None
    b = None
    try:
        line = fake.stdout.readline()
        check(line.startswith('PORT '), f'fake Stripe said {line!r}')
        shop = Shop({'MERCATO_STRIPE_SECRET_KEY': 'sk_test_browser', 'MERCATO_STRIPE_PUBLISHABLE_KEY': 'pk_test_browser',
                     'MERCATO_STRIPE_WEBHOOK_SECRET': 'whsec_browser',
                     'MERCATO_STRIPE_API_BASE': f'http://127.0.0.1:{line.split()[1]}'})
        _, h, _ = shop.request('GET', '/', headers={'Accept': 'text/html'})
        check('https://js.stripe.com' in h.get('Content-Security-Policy', ''), 'Stripe is not in the CSP')
        b = Browser(shop, (f'--host-resolver-rules=MAP js.stripe.com 127.0.0.1:{hole.port}',))
        b.open('/shop/login')
        b.fill('Email', 'alice@demo.mercato.test')
        b.fill('Password', 'demo-customer-pass')
        b.submit('Sign in')
        b.wait_text('#menu', 'Alice Example')
        b.ready()
        add_to_cart(b, 'Travel mug')
        place_order(b)
        b.wait_text('.pay', 'Loading the secure card form')
        b.screenshot('checkout-stripe-loading')
        WebDriverWait(b.d, 25).until(EC.presence_of_element_located((By.ID, 'pay-retry')))
        error = b.css('#pay-error').text
        check('could not be loaded from Stripe' in error and 'pay later' in error, f'pay error {error!r}')
        check(b.css('#order-status').text == 'pending payment', 'the order changed')
        b.screenshot('checkout-stripe-unavailable')
        errors = b.csp_errors()
        check(not errors, f'CSP violations: {errors}')
    finally:
        if b:
            b.quit()
        if shop:
            shop.stop()
            shutil.rmtree(shop.dir, ignore_errors=True)
        hole.close()
        fake.terminate()
        fake.wait(10)


def test_wrong_password(b):
    b.open('/shop/login')
    b.fill('Email', 'alice@demo.mercato.test')
    b.fill('Password', 'not-the-password')
    b.submit('Sign in')
    b.wait_text('.form-error', 'Wrong email or password')
    check(b.d.current_url.endswith('/shop/login'), 'a failed sign-in left the page')
    b.screenshot('login-wrong-password')


def add_to_cart(b, name):
    b.click_link(name)
    check(b.h1() == name, f'product page shows {b.h1()!r}')
    b.submit('Add to cart')
    b.wait_text('#flash', f'Added {name}')


def place_order(b, option=None, screenshot=None):
    """Checks the cart out; returns the order's id. With `option`, picks that shipping option
    and checks its fee is in the total before ordering."""
    b.click_id('cart-link')
    check(b.h1() == 'Your cart', b.h1())
    # The demo store ships: a customer without a saved address types one in.
    fresh = b.d.find_elements(By.ID, 'new-address')
    if fresh and fresh[0].is_displayed():
        b.fill('Recipient name', 'Nora Newcomer')
        b.fill('Street and number', '1 Main Street')
        b.fill('City', 'Springfield')
        b.fill('Postal code', '62701')
        b.fill('Country code (such as US or DE)', 'US')
        b.wait.until(lambda d: d.find_element(By.ID, 'ship-option').get_attribute('value'))
    if option:
        select = Select(b.d.find_element(By.ID, 'ship-option'))
        choice = [o for o in select.options if o.text.startswith(option['name'])]
        check(choice, f'no shipping option {option["name"]!r}: {[o.text for o in select.options]}')
        select.select_by_visible_text(choice[0].text)
        b.wait.until(lambda d: d.find_element(By.ID, 'shipping-cost').get_attribute('data-cents') == str(option['priceCents']))
        b.wait_text('#shipping-cost', 'Shipping')
        if screenshot:
            b.screenshot(screenshot)
    b.submit('Place order')
    b.wait.until(lambda d: '/shop/orders/' in d.current_url)
    b.ready()
    return b.d.current_url.split('/shop/orders/')[1].split('?')[0].split('/')[0]


def journey(shop, b):
    email = f'new.customer.{int(time.time())}@example.test'
    b.open('/')
    b.screenshot('catalog')
    # Paging: the cursor is in the URL, and back returns to the first page.
    b.click_link('Next page')
    check('cursor=' in b.d.current_url, f'no cursor in {b.d.current_url}')
    second = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card-name')]
    b.d.back()
    b.ready()
    b.wait.until(lambda d: 'cursor=' not in d.current_url)
    first = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card-name')]
    check(first and second and not set(first) & set(second), f'pages overlap: {first} / {second}')
    b.d.forward()
    b.ready()
    check('cursor=' in b.d.current_url, 'forward lost the cursor')

    # Sort and filter: the choice is in the URL and the list follows it. A price band around
    # the sold-out hand grinder (89.00) keeps it on the first page among the demo's 200.
    b.open('/shop?min=88&max=90')
    sort = b.d.find_element(By.XPATH, '//label[normalize-space()="Sort by"]')
    Select(b.d.find_element(By.ID, sort.get_attribute('for'))).select_by_visible_text('Price: high to low')
    b.wait.until(lambda d: 'sort=-price' in d.current_url)
    b.ready()
    cents = [int(re.sub(r'\D', '', e.text)) for e in b.d.find_elements(By.CSS_SELECTOR, '.card .price')]
    check(len(cents) > 1 and cents == sorted(cents, reverse=True), f'not sorted by price, highest first: {cents}')
    names = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card-name')]
    check('Hand grinder' in names, f'the sold-out grinder is not in its price band: {names}')
    check(any('Sold out' in e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card .badge')), 'no sold-out badge')
    b.d.find_element(By.ID, 'f-instock').click()
    b.submit('Apply')
    b.wait.until(lambda d: 'inStock=true' in d.current_url)
    b.ready()
    badges = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card .badge')]
    names = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card-name')]
    check(badges and 'Sold out' not in badges and 'Hand grinder' not in names, f'in-stock filter shows {names} {badges}')
    b.screenshot('catalog-filtered')

    b.click_link('Register')
    b.fill('Your name', 'Nora Newcomer')
    b.fill('Email', email)
    b.fill('Password (at least 10 characters)', 'nora-password-1')
    b.screenshot('register')
    b.submit('Create account')
    b.wait_text('#menu', 'Nora Newcomer')
    b.wait_text('#flash', 'daily coins')

    search = b.d.find_element(By.ID, 'search-q')
    search.send_keys('coffee')
    b.submit('Search')
    b.ready()
    b.wait_text('main h1', 'coffee')
    names = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, '.card-name')]
    check('Filter coffee, 500 g' in names, f'search results: {names}')
    b.screenshot('search')
    seller = shop.login('seller@demo.mercato.test', 'demo-seller-pass')
    coffee = [p for p in shop.json('GET', '/api/v1/products?q=filter%20coffee')['items'] if p['name'] == 'Filter coffee, 500 g'][0]
    picture = os.path.join(shop.dir, 'coffee.png')
    png(picture)
    with open(picture, 'rb') as f:
        req = urllib.request.Request(shop.base + f"/api/v1/products/{coffee['id']}/images", data=f.read(), method='POST',
                                     headers={'Content-Type': 'image/png', 'Authorization': f'Bearer {seller}'})
    with urllib.request.urlopen(req, timeout=10) as r:
        check(r.status == 201, f'picture upload: {r.status}')
    add_to_cart(b, 'Filter coffee, 500 g')
    gallery = b.css('.gallery img')
    b.wait.until(lambda d: d.execute_script('return arguments[0].complete && arguments[0].naturalWidth', gallery) > 0)
    check(gallery.get_attribute('alt'), 'the product picture has no alt text')
    b.wait_text('.details', 'In stock')
    b.screenshot('product')
    b.d.back()
    b.ready()
    add_to_cart(b, 'Coffee scale')
    b.wait_text('#cart-count', '2')

    b.click_id('cart-link')
    coins = b.d.find_element(By.ID, 'coins')
    check(int(coins.get_attribute('value')) > 0, 'no coins offered at checkout')
    b.wait_text('.checkout', 'Coins used')
    # The cap the page states is the API's rule: min(balance, subtotal x max share / coin value).
    token = shop.login(email, 'nora-password-1')
    facts = shop.json('GET', '/api/v1/store')
    cart = shop.json('GET', '/api/v1/cart', token=token)
    balance = shop.json('GET', '/api/v1/me', token=token)['coins']
    cap = min(balance, cart['subtotalCents'] * facts['maxCoinDiscountPercent'] // 100 // facts['coinValueCents'])
    cap_text = b.css('#coin-cap').text
    check(f'You have {balance} coins' in cap_text and f'at most {facts["maxCoinDiscountPercent"]}%' in cap_text
          and f'up to {cap} here' in cap_text, f'cap text {cap_text!r}, expected cap {cap}')
    # Asking for more than the cap uses the cap.
    coins.clear()
    coins.send_keys(str(cap + 25))
    b.wait_text('#coins-used', f'Coins used {cap} ')
    shown = int(b.css('#coins-used').get_attribute('data-coins'))
    b.screenshot('cart')
    # A new address typed in at checkout, the express option picked: its fee is in the total.
    express = [o for o in shop.json('GET', '/api/v1/shipping-options?country=US')['items'] if o['name'].startswith('Express')][0]
    check(express['priceCents'] > 0, f'express ships free: {express}')
    expected_total = cart['subtotalCents'] - cap * facts['coinValueCents'] + express['priceCents']
    order_id = place_order(b, express, 'checkout-shipping')
    order = shop.json('GET', f'/api/v1/orders/{order_id}', token=token)
    check(order['coinsUsed'] == shown == cap, f'checkout showed {shown} coins, the order used {order["coinsUsed"]}, cap {cap}')
    check(order['discountCents'] == cap * facts['coinValueCents'], f'discount {order["discountCents"]}')
    check(order['shipping']['name'] == express['name'] and order['shippingCents'] == express['priceCents'],
          f'the order ships {order["shipping"]} for {order["shippingCents"]}')
    check(order['totalCents'] == expected_total, f'total {order["totalCents"]}, expected {expected_total}')
    check(order['shippingAddress']['city'] == 'Springfield', f'address {order["shippingAddress"]}')
    book = shop.json('GET', '/api/v1/me/addresses', token=token)['items']
    check(len(book) == 1 and book[0]['line1'] == '1 Main Street' and book[0]['isDefault'], f'address book {book}')
    # The thank-you page: the number, and how to pay it in plain words.
    b.wait_text('main h1', 'Thank you for your order')
    reference = f'#{order["number"]}'
    check(b.css('#order-number').text == reference, f'thank-you page number {b.css("#order-number").text!r}, expected {reference}')
    instructions = b.css('#pay-instructions').text
    check('Pay by bank transfer to Demo Roastery' in instructions, f'instructions {instructions!r}')
    check(b.css('#pay-reference').text == reference, f'reference {b.css("#pay-reference").text!r}')
    pay_before = b.css('#pay-before')
    check(pay_before.get_attribute('datetime') == order['expiresAt'], f'pay before {pay_before.get_attribute("datetime")!r}')
    # In words, not the ISO stamp: no "2026-12-08T00:08:00Z" (and "Tuesday" has a T of its own).
    check(re.search(r'20\d\d', pay_before.text) and not re.search(r'\d-\d\d-\d|\dT\d|\dZ\b', pay_before.text),
          f'pay-before is not in words: {pay_before.text!r}')
    amount = b.css('#pay-amount').text
    check('€' in amount, f'amount {amount!r}')
    check('{' not in b.css('main').text, 'the thank-you page shows JSON')
    b.screenshot('thank-you')
    b.click_id('see-order')
    b.wait_text('#order-status', 'pending payment')
    b.wait_text('main h1', reference)
    b.wait_text('.summary', f'coins used {cap} ')
    b.wait_text('#shipping-address', '1 Main Street')
    b.click_id('pay')
    b.wait_text('.pay', 'How to pay')
    b.wait_text('#pay-reference', reference)
    b.screenshot('order-pending')

    shop.json('POST', f'/api/v1/seller/orders/{order_id}/mark-paid', {}, token=seller)
    # A reload: the session comes back from the refresh cookie.
    b.d.refresh()
    b.ready()
    b.wait_text('#order-status', 'paid')
    check('Nora Newcomer' in b.css('#menu').text, 'the session did not survive a reload')
    history = b.css('.history').text
    check('pending payment' in history and 'paid' in history.replace('pending payment', ''), f'status history {history!r}')
    b.screenshot('order-paid')

    # The seller ships the coffee with tracking (the scale later): the order page shows the
    # parcel, its carrier and a link to follow it, and what of each line has shipped.
    coffee_line = [i for i in order['items'] if i['name'] == 'Filter coffee, 500 g'][0]
    tracking = 'https://tracking.example/parcels/1Z999AA10123456784'
    shop.json('POST', f'/api/v1/seller/orders/{order_id}/shipments',
              {'carrier': 'UPS', 'trackingNumber': '1Z999AA10123456784', 'trackingUrl': tracking,
               'items': [{'orderItemId': coffee_line['id'], 'quantity': coffee_line['quantity']}]}, token=seller)
    b.d.refresh()
    b.ready()
    b.wait_text('#order-status', 'partially shipped')
    link = b.css('.shipment a.tracking')
    check(link.get_attribute('href') == tracking, f'tracking link {link.get_attribute("href")!r}')
    check(link.get_attribute('rel') and 'noopener' in link.get_attribute('rel'), 'the tracking link opens without noopener')
    b.wait_text('.shipment', 'UPS, tracking number 1Z999AA10123456784')
    b.wait_text('.shipment', 'Filter coffee, 500 g')
    shipped = [e.text for e in b.d.find_elements(By.CSS_SELECTOR, 'td.shipped')]
    check(f'{coffee_line["quantity"]} of {coffee_line["quantity"]}' in shipped and '0 of 1' in shipped, f'shipped column {shipped}')
    b.screenshot('order-shipped')

    # A review whose text is markup stays text and runs nothing.
    b.click_link('Filter coffee, 500 g')
    b.fill('Your review', XSS)
    b.submit('Post review')
    b.wait_text('.review-list', XSS)
    b.no_alert()
    check(not b.d.find_elements(By.CSS_SELECTOR, '.review-list img'), 'the review became an element')
    b.wait_text('.details .rating', '1 review')
    b.screenshot('review')

    # Refund with a photo, then the seller's decision.
    b.d.back()
    b.ready()
    b.wait_text('#order-status', 'partially shipped')
    b.d.find_elements(By.LINK_TEXT, 'Ask for a refund')[0].click()
    b.ready()
    b.fill('Why do you want a refund?', 'The bag arrived torn.')
    photo = os.path.join(shop.dir, 'torn.png')
    png(photo)
    b.d.find_element(By.ID, 'photos').send_keys(photo)
    b.screenshot('refund-form')
    b.submit('Send request')
    b.wait.until(lambda d: d.current_url.endswith(f'/shop/orders/{order_id}'))
    b.ready()
    b.wait_text('.refunds', 'requested')
    check(b.d.find_elements(By.CSS_SELECTOR, '.refunds img'), 'the refund photo is not shown')
    requests = shop.json('GET', '/api/v1/seller/refund-requests', token=seller)['items']
    mine = [r for r in requests if r['orderId'] == order_id]
    check(len(mine) == 1 and len(mine[0]['images']) == 1, f'seller sees {mine}')
    shop.json('POST', f"/api/v1/seller/refund-requests/{mine[0]['id']}/approve", {'note': 'Sorry, refunded.'}, token=seller)
    b.open(f'/shop/orders/{order_id}')
    b.wait.until(lambda d: d.find_element(By.ID, 'notif-count').text.strip() not in ('', '0'))
    b.click_id('notif-link')
    b.wait_text('main h1', 'Notifications (')
    check('(0 unread)' not in b.h1(), f'no unread notification: {b.h1()!r}')
    b.wait_text('.notifications', 'refund')
    b.screenshot('notifications')
    b.open('/shop/refunds')
    b.wait_text('.refunds', 'Sorry, refunded.')
    status = b.css('.refunds .status').text
    check(status in ('approved', 'refunded'), f'refund status {status!r}')
    b.screenshot('refunds')

    # A complaint, and the seller's answer.
    b.open(f'/shop/orders/{order_id}')
    b.click_link('Report a problem with this order')
    b.fill('Subject', 'The scale was scratched')
    b.fill('What happened?', 'A long scratch on the glass top. ' + XSS)
    b.d.find_element(By.ID, 'photos').send_keys(photo)
    b.submit('Send')
    b.wait.until(lambda d: re.search(r'/shop/complaints/(?!new\b)[^/?]+$', d.current_url))
    b.ready()
    complaint_id = b.d.current_url.rsplit('/', 1)[1]
    b.wait_text('main h1', 'The scale was scratched')
    b.wait_text('.message', XSS)
    b.no_alert()
    check(not b.d.find_elements(By.CSS_SELECTOR, '.message img'), 'the complaint text became an element')
    check(len(b.d.find_elements(By.CSS_SELECTOR, '.thumbs img')) == 1, 'the complaint photo is not shown')
    shop.json('POST', f'/api/v1/seller/complaints/{complaint_id}/reply', {'message': 'A new top is on its way.'}, token=seller)
    b.d.refresh()
    b.ready()
    b.wait_text('main', 'A new top is on its way.')
    b.wait_text('main h1', 'answered')
    b.screenshot('complaint')

    # Cancel before payment.
    b.open('/shop')
    add_to_cart(b, 'Travel mug')
    place_order(b)
    b.wait_text('main h1', 'Thank you for your order')
    b.click_id('see-order')
    b.d.find_element(By.ID, 'cancel-order').click()
    b.wait.until(EC.alert_is_present())
    b.d.switch_to.alert.accept()
    b.wait_text('#order-status', 'cancelled')
    # A paid order the seller cancels: the page says so plainly, the reason stays text.
    b.open('/shop')
    add_to_cart(b, 'Travel mug')
    mug_order = place_order(b)
    b.wait_text('main h1', 'Thank you for your order')
    shop.json('POST', f'/api/v1/seller/orders/{mug_order}/mark-paid', {}, token=seller)
    shop.json('POST', f'/api/v1/seller/orders/{mug_order}/cancel', {'reason': '<b>Sold out</b> at the roastery'}, token=seller)
    b.open(f'/shop/orders/{mug_order}')
    b.wait_text('#order-status', 'cancelled')
    b.wait_text('#seller-changes', 'The seller cancelled this order and refunded it.')
    b.wait_text('#seller-changes', '1 × Travel mug')
    b.wait_text('#seller-changes', '<b>Sold out</b> at the roastery')
    check(not b.d.find_elements(By.CSS_SELECTOR, '#seller-changes b'), 'the reason became markup')
    b.screenshot('order-cancelled-by-seller')

    b.click_link('Orders')
    b.wait_text('.orders', 'cancelled')
    b.wait_text('.orders', f'Order {reference}')
    b.screenshot('orders')

    b.click_link('Nora Newcomer')
    b.wait_text('main h1', 'Your account')
    b.d.find_element(By.ID, 'avatar-file').send_keys(photo)
    b.submit('Upload picture')
    b.wait_text('#flash', 'Your picture is saved')
    b.ready()
    avatar = b.css('img.avatar.big')
    b.wait.until(lambda d: d.execute_script('return arguments[0].complete && arguments[0].naturalWidth', avatar) > 0)
    check(b.d.find_elements(By.CSS_SELECTOR, '#menu img.avatar'), 'the menu does not show the new picture')
    b.screenshot('account')

    # A new account is unverified until the link mailed to it is followed; the account page
    # says so, and the link's page confirms it.
    b.wait_text('main .notice', 'not confirmed yet')
    link = outbox_link(shop, email, 'shop/confirm-email')
    check(link.startswith(shop.base + '/shop/confirm-email?token='), f'confirmation link {link!r}')
    b.d.get(link)
    b.ready()
    b.wait_text('main h1', 'Email confirmed')
    b.screenshot('confirm-email')
    b.open('/shop/account')
    b.wait_text('main h1', 'Your account')
    check(not b.d.find_elements(By.CSS_SELECTOR, 'main .notice'), 'the notice stays after confirming')

    b.d.find_element(By.ID, 'logout').click()
    b.wait_text('#menu', 'Sign in')
    b.d.refresh()
    b.ready()
    check('Sign in' in b.css('#menu').text, 'still signed in after signing out and reloading')


def euros(cents):
    return f'€{cents / 100:,.2f}'


def test_discount_code_tax_invoice(shop, b):
    """A seller's discount code at checkout: a wrong code is refused in plain words beside the
    field, the right one shows its amount and the tax as GET /cart prices them, the order
    carries the code, and once paid the customer opens its invoice."""
    seller = shop.login('seller@demo.mercato.test', 'demo-seller-pass')
    seller_id = shop.json('GET', '/api/v1/me', token=seller)['id']
    code = f'BEANS{int(time.time()) % 100000}'
    shop.json('POST', '/api/v1/seller/discount-codes', {
        'code': code, 'kind': 'percent', 'value': 10, 'minSubtotalCents': 0, 'startsAt': None,
        'endsAt': None, 'maxUses': None, 'oncePerCustomer': True}, token=seller)
    rates = shop.json('GET', '/api/v1/owner/tax-rates', token=seller)
    shop.json('PUT', '/api/v1/owner/tax-rates', {'defaultRatePercent': 0, 'rates': [{'country': 'US', 'ratePercent': 7.25}]},
              token=seller)
    try:
        email = f'code.shopper.{int(time.time())}@example.test'
        shop.json('POST', '/api/v1/auth/register', {'email': email, 'password': 'code-shopper-pass',
                                                     'displayName': 'Cora Coder', 'role': 'customer'})
        token = shop.login(email, 'code-shopper-pass')
        shop.json('POST', '/api/v1/me/addresses', {'name': 'Cora Coder', 'line1': '5 Elm Street', 'city': 'Springfield',
                                                  'postalCode': '62701', 'country': 'US'}, token=token)
        product = shop.json('GET', f'/api/v1/products?sellerId={seller_id}&inStock=true&limit=1')['items'][0]
        shop.json('PUT', f"/api/v1/cart/items/{product['id']}", {'quantity': 2}, token=token)

        b.open('/shop/login')
        b.fill('Email', email)
        b.fill('Password', 'code-shopper-pass')
        b.submit('Sign in')
        b.wait_text('#menu', 'Cora Coder')
        b.click_id('cart-link')
        check(b.h1() == 'Your cart', b.h1())
        b.wait_text('#tax-included', 'includes €')
        coins = b.d.find_element(By.ID, 'coins')
        coins.clear()
        coins.send_keys('0')
        b.wait_text('#coins-used', 'Coins used 0 ')

        # A wrong code: the reason in plain words beside the field, tied to it for screen readers.
        field = b.fill('Discount code', 'NOSUCHCODE')
        b.click_id('apply-code')
        b.wait_text('#discount-code-note', 'There is no such discount code')
        note = b.css('#discount-code-note').text
        check('discountCode' not in note and '{' not in note and '422' not in note, f'the reason is not plain words: {note!r}')
        check(field.get_attribute('aria-describedby') == 'discount-code-note', 'the reason is not linked to the field')
        check(field.get_attribute('aria-invalid') == 'true', 'the refused code is not marked invalid')
        check(not b.d.find_elements(By.ID, 'code-discount'), 'a refused code shows an amount')
        b.d.execute_script('arguments[0].scrollIntoView({block: "center"})', field)
        b.screenshot('checkout-code-refused')
        # Ordering with the refused code still typed in: nothing is ordered, the reason stays.
        b.submit('Place order')
        b.wait_text('.checkout .form-error', 'The discount code cannot be used on this order')
        b.wait_text('#discount-code-note', 'There is no such discount code')
        check(b.d.current_url.endswith('/shop/cart'), f'an order was placed with a refused code: {b.d.current_url}')
        check(not shop.json('GET', '/api/v1/orders', token=token)['items'], 'an order was placed with a refused code')

        # The right code: its amount and the tax as the API's preview gives them.
        b.fill('Discount code', code)
        b.click_id('apply-code')
        b.wait_text('#discount-code-note', f'Code {code} applied')
        b.wait_text('#code-discount', code)
        params = {'shippingOptionId': b.css('#ship-option').get_attribute('value'),
                  'shippingAddressId': b.css('#ship-address').get_attribute('value'),
                  'coinsToUse': 0, 'discountCode': code}
        preview = shop.json('GET', '/api/v1/cart?' + urllib.parse.urlencode(params), token=token)
        amount = sum(d['amountCents'] for d in preview['discounts'] if d['kind'] == 'code')
        check(amount > 0, f'the code takes nothing off: {preview}')
        shown = b.css('#code-discount')
        check(shown.get_attribute('data-cents') == str(amount) and euros(amount) in shown.text,
              f'checkout shows {shown.text!r} ({shown.get_attribute("data-cents")}), GET /cart says {amount}')
        check(preview['taxCents'] > 0, f'no tax in the preview: {preview}')
        tax = b.css('#tax-included')
        check(tax.get_attribute('data-cents') == str(preview['taxCents']) and tax.text == f"includes {euros(preview['taxCents'])} tax",
              f'checkout shows {tax.text!r}, GET /cart says {preview["taxCents"]}')
        b.wait_text('#order-total', euros(preview['totalCents']))
        check(not b.css('.checkout .form-error').text, 'the error about the refused code stays once a code applies')
        b.d.execute_script('arguments[0].scrollIntoView({block: "start"})', b.css('#discount-code'))
        b.screenshot('checkout-code-applied')
        # Remove code takes it off; applying it again brings it back.
        b.click_id('remove-code')
        b.wait.until(lambda d: not d.find_elements(By.ID, 'code-discount'))
        b.fill('Discount code', code.lower())
        b.click_id('apply-code')
        b.wait_text('#code-discount', code)

        b.submit('Place order')
        b.wait.until(lambda d: '/shop/orders/' in d.current_url)
        b.ready()
        order_id = b.d.current_url.split('/shop/orders/')[1].split('/')[0]
        order = shop.json('GET', f'/api/v1/orders/{order_id}', token=token)
        placed = [d for d in order['discounts'] if d['kind'] == 'code']
        check(placed and placed[0]['code'].upper() == code and placed[0]['amountCents'] == amount, f'the order holds {order["discounts"]}')
        check(order['taxCents'] == preview['taxCents'] and order['totalCents'] == preview['totalCents'],
              f'order tax {order["taxCents"]} total {order["totalCents"]}, preview {preview["taxCents"]} {preview["totalCents"]}')
        b.click_id('see-order')
        b.wait_text('#order-status', 'pending payment')
        b.wait_text('#order-tax', f"includes {euros(order['taxCents'])} tax")
        b.wait_text('#order-code', code)
        check(not b.d.find_elements(By.ID, 'invoice'), 'an unpaid order offers an invoice')

        # Paid: the invoice opens in a new tab with its number.
        shop.json('POST', f'/api/v1/seller/orders/{order_id}/mark-paid', {}, token=seller)
        b.d.refresh()
        b.ready()
        b.wait_text('#order-status', 'paid')
        number = shop.json('GET', f'/api/v1/orders/{order_id}', token=token)['invoiceNumber']
        check(number, 'the paid order has no invoice number')
        b.screenshot('order-invoice')
        main_tab = b.d.current_window_handle
        b.click_id('invoice')
        b.wait.until(lambda d: len(d.window_handles) == 2)
        b.d.switch_to.window([w for w in b.d.window_handles if w != main_tab][0])
        try:
            b.wait.until(lambda d: number in d.find_element(By.TAG_NAME, 'body').text)
            check(b.d.title == f'Invoice {number}', f'invoice tab title {b.d.title!r}')
            check(b.d.execute_script("return getComputedStyle(document.querySelector('table')).borderCollapse") == 'collapse',
                  'the invoice is shown without its styles')
            errors = b.csp_errors()
            check(not errors, f'the invoice tab: {errors}')
            b.screenshot('invoice')
        finally:
            b.d.close()
            b.d.switch_to.window(main_tab)
        b.d.find_element(By.ID, 'logout').click()
        b.wait_text('#menu', 'Sign in')
        # Signed out, a reload asks for no refresh that can only fail.
        b.d.get_log('browser')
        b.d.refresh()
        b.ready()
        time.sleep(0.2)
        logged = [e['message'] for e in b.d.get_log('browser') if e['level'] in ('SEVERE', 'WARNING')]
        check(not logged, f'a reload after signing out logs {logged}')
    finally:
        shop.json('PUT', '/api/v1/owner/tax-rates', rates, token=seller)


def new_customer(shop, name, with_address=True):
    """A customer registered through the API (with a saved US address); returns (email, password, token)."""
    email = f"{name.split()[0].lower()}.{int(time.time() * 1000) % 10**9}@example.test"
    password = f'{name.split()[0].lower()}-password-1'
    shop.json('POST', '/api/v1/auth/register', {'email': email, 'password': password, 'displayName': name, 'role': 'customer'})
    token = shop.login(email, password)
    if with_address:
        shop.json('POST', '/api/v1/me/addresses', {'name': name, 'line1': '5 Elm Street', 'city': 'Springfield',
                                                  'postalCode': '62701', 'country': 'US'}, token=token)
    return email, password, token


def sign_in(b, email, password, name):
    b.open('/shop/login')
    b.fill('Email', email)
    b.fill('Password', password)
    b.submit('Sign in')
    b.wait_text('#menu', name)


def test_cart_stock(shop, b):
    """The cart never asks for more than the stock: the stepper stops at it, a low stock is
    named, a sold-out line says so and holds Place order back until it is removed, and stock
    that ran out since the cart was shown is named by product at checkout."""
    seller = shop.login('seller@demo.mercato.test', 'demo-seller-pass')
    stamp = int(time.time() * 1000) % 10**9
    scarce = shop.json('POST', '/api/v1/products', {'name': f'Scarce matcha {stamp}', 'description': 'Few tins.',
                                                    'priceCents': 1500, 'stock': 3, 'lowStockThreshold': 1}, token=seller)
    plenty = shop.json('POST', '/api/v1/products', {'name': f'Plenty sencha {stamp}', 'description': 'Many tins.',
                                                    'priceCents': 900, 'stock': 40, 'lowStockThreshold': 1}, token=seller)
    email, password, token = new_customer(shop, 'Stella Stock')
    shop.json('PUT', f"/api/v1/cart/items/{scarce['id']}", {'quantity': 2}, token=token)
    shop.json('PUT', f"/api/v1/cart/items/{plenty['id']}", {'quantity': 1}, token=token)
    sign_in(b, email, password, 'Stella Stock')
    b.click_id('cart-link')
    check(b.h1() == 'Your cart', b.h1())
    b.wait_text(f"#s-{scarce['id']}", 'Only 3 left')
    qty = b.d.find_element(By.ID, f"q-{scarce['id']}")
    check(qty.get_attribute('max') == '3', f"the stepper goes to {qty.get_attribute('max')}, the stock is 3")
    check(b.d.find_element(By.ID, f"s-{plenty['id']}").text == '', 'a well-stocked line speaks of its stock')
    # Asking for more than there is: the most there is, and why.
    qty.send_keys(Keys.CONTROL, 'a')
    qty.send_keys('9', Keys.TAB)
    b.wait_text('#flash', 'Only 3 of')
    b.ready()
    b.wait.until(lambda d: d.find_element(By.ID, f"q-{scarce['id']}").get_attribute('value') == '3')
    lines = {i['productId']: i['quantity'] for i in shop.json('GET', '/api/v1/cart', token=token)['items']}
    check(lines.get(scarce['id']) == 3, f'the cart holds {lines}')
    b.screenshot('cart-low-stock')

    # Sold out while in the cart: the line says so and the order waits until it is removed.
    shop.json('POST', f"/api/v1/products/{scarce['id']}/stock-adjustments", {'delta': -3, 'reason': 'correction'}, token=seller)
    b.open('/shop/cart')
    b.wait_text(f"#s-{scarce['id']}", 'Sold out: remove it')
    place = b.d.find_element(By.XPATH, '//button[normalize-space()="Place order"]')
    check(not place.is_enabled(), 'Place order is offered with a sold-out line')
    b.wait_text('#cart-blocked', scarce['name'])
    b.screenshot('cart-sold-out-line')
    b.d.find_element(By.CSS_SELECTOR, f'button[aria-label="Remove {scarce["name"]}"]').click()
    b.ready()
    b.wait.until(lambda d: not d.find_elements(By.ID, f"q-{scarce['id']}"))
    check(b.d.find_element(By.XPATH, '//button[normalize-space()="Place order"]').is_enabled(), 'Place order stays off')

    # Stock gone between showing the cart and ordering: the product named in plain words.
    shop.json('PUT', f"/api/v1/cart/items/{plenty['id']}", {'quantity': 5}, token=token)
    b.open('/shop/cart')
    shop.json('POST', f"/api/v1/products/{plenty['id']}/stock-adjustments", {'delta': -38, 'reason': 'correction'}, token=seller)
    b.submit('Place order')
    b.wait_text('.checkout .form-error', f"{plenty['name']}: only 2 left, and you asked for 5")
    banner = b.d.find_element(By.CSS_SELECTOR, '.checkout .form-error').text
    check('items.' not in banner and plenty['id'] not in banner and 'requested' not in banner, f'the refusal reads {banner!r}')
    b.screenshot('cart-checkout-short')


def main():
    started = time.time()
    for old in glob.glob(os.path.join(SHOTS, '*.png')):
        os.remove(old)
    shop = Shop()
    failures = []
    b = None
    try:
        for name, fn in (('headers', lambda: test_headers(shop)),):
            try:
                fn()
                print(f'PASS {name}')
            except Exception as e:  # noqa: BLE001
                failures.append(name)
                print(f'FAIL {name}: {e}')
        b = Browser(shop)
        for name, fn in (('store facts', lambda: test_store_facts(shop, b)),
                         ('signed out console', lambda: test_signed_out_console(shop, b)),
                         ('wrong password', lambda: test_wrong_password(b)),
                         ('keyboard', lambda: test_keyboard(b)),
                         ('journey', lambda: journey(shop, b)),
                         ('discount code, tax and invoice', lambda: test_discount_code_tax_invoice(shop, b)),
                         ('cart stock', lambda: test_cart_stock(shop, b)),
                         ('password reset', lambda: test_password_reset(shop, b)),
                         ('not found', lambda: test_not_found(shop, b))):
            try:
                fn()
                errors = b.csp_errors()
                check(not errors, f'CSP violations: {errors}')
                print(f'PASS {name}')
            except Exception as e:  # noqa: BLE001
                failures.append(name)
                print(f'FAIL {name}: {e}')
                traceback.print_exc()
                try:
                    b.d.save_screenshot(os.path.join(SHOTS, f'FAILED-{name.replace(" ", "-")}.png'))
                except Exception:  # noqa: BLE001
                    pass
    finally:
        if b:
            b.quit()
        shop.stop()
        if failures:
            with open(os.path.join(shop.dir, 'server.log')) as f:
                print('--- server log (tail) ---')
                print(''.join(f.readlines()[-40:]))
        shutil.rmtree(shop.dir, ignore_errors=True)
    try:
        test_switched_off()
        print('PASS switched off')
    except Exception as e:  # noqa: BLE001
        failures.append('switched off')
        print(f'FAIL switched off: {e}')
    try:
        test_stripe_checkout()
        print('PASS stripe checkout')
    except Exception as e:  # noqa: BLE001
        failures.append('stripe checkout')
        print(f'FAIL stripe checkout: {e}')
        traceback.print_exc()
    print(f'{len(failures)} failed, {time.time() - started:.1f} s; screenshots in {SHOTS}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
