#!/usr/bin/python3
"""The storefront in a real headless Chromium against a real mercato-server with demo data.

    test_storefront.py MERCATO_SERVER [SCREENSHOT_DIR]

One server, one browser. Journeys: a new customer registers, searches, adds two products,
checks out with coins, the seller marks the order paid (API), the customer sees it paid,
reviews a product (with markup that must stay text), asks a refund with a photo and sees the
seller's decision; an order cancelled before payment; a wrong password; CSP and cache headers.
Screenshots of each page at desktop and phone width go to SCREENSHOT_DIR.
"""
import json
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
import traceback
import urllib.error
import urllib.request
import zlib

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions as EC
from selenium.webdriver.support.ui import WebDriverWait

SERVER = sys.argv[1]
SHOTS = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.getcwd(), 'screenshots', 'storefront')
XSS = '<img src=x onerror=alert(1)>'


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
    def __init__(self):
        self.dir = tempfile.mkdtemp(prefix='mercato-browser-')
        self.port = free_port()
        self.base = f'http://127.0.0.1:{self.port}'
        env = dict(os.environ)
        env.update({
            'MERCATO_LISTEN': f'127.0.0.1:{self.port}', 'MERCATO_DATA_DIR': self.dir,
            'MERCATO_PUBLIC_URL': self.base, 'MERCATO_DEMO': '1', 'MERCATO_AUTH_RATE_LIMIT': '0',
            'MERCATO_TIMEZONE': 'UTC', 'MERCATO_WORKERS': '2',
            'MERCATO_JWT_SECRET': 'c3RvcmVmcm9udC1icm93c2VyLXRlc3Qta2V5LTMyLWJ5dGVzIQ==',
        })
        self.log = open(os.path.join(self.dir, 'server.log'), 'w')
        self.proc = subprocess.Popen([SERVER], env=env, stdout=self.log, stderr=subprocess.STDOUT)
        for _ in range(200):
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
    def __init__(self, shop):
        self.shop = shop
        o = webdriver.ChromeOptions()
        o.binary_location = shutil.which('chromium') or '/usr/bin/chromium'
        for a in ('--headless=new', '--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu',
                  '--window-size=1280,900', '--lang=en-US'):
            o.add_argument(a)
        o.set_capability('goog:loggingPrefs', {'browser': 'ALL'})
        self.d = webdriver.Chrome(service=Service(shutil.which('chromedriver') or '/usr/bin/chromedriver'), options=o)
        self.d.set_page_load_timeout(20)
        self.wait = WebDriverWait(self.d, 20)
        self.shot_index = 0
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

    def screenshot(self, name):
        self.shot_index += 1
        for label, size in (('desktop', (1280, 900)), ('phone', (390, 844))):
            self.d.set_window_size(*size)
            time.sleep(0.05)
            self.d.save_screenshot(os.path.join(SHOTS, f'{self.shot_index:02d}-{name}-{label}.png'))
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


def place_order(b):
    b.click_id('cart-link')
    check(b.h1() == 'Your cart', b.h1())
    b.submit('Place order')
    b.wait.until(lambda d: '/shop/orders/' in d.current_url)
    b.ready()
    return b.d.current_url.split('/shop/orders/')[1].split('?')[0]


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
    add_to_cart(b, 'Filter coffee, 500 g')
    b.screenshot('product')
    b.d.back()
    b.ready()
    add_to_cart(b, 'Coffee scale')
    b.wait_text('#cart-count', '2')

    b.click_id('cart-link')
    coins = b.d.find_element(By.ID, 'coins')
    check(int(coins.get_attribute('value')) > 0, 'no coins offered at checkout')
    b.wait_text('.checkout', 'Coins used')
    b.screenshot('cart')
    order_id = place_order(b)
    b.wait_text('#order-status', 'pending payment')
    b.wait_text('.pay', 'How to pay')
    b.screenshot('order-pending')

    seller = shop.login('seller@demo.mercato.test', 'demo-seller-pass')
    shop.json('POST', f'/api/v1/seller/orders/{order_id}/mark-paid', {}, token=seller)
    # A reload: the session comes back from the refresh cookie.
    b.d.refresh()
    b.ready()
    b.wait_text('#order-status', 'paid')
    check('Nora Newcomer' in b.css('#menu').text, 'the session did not survive a reload')
    b.screenshot('order-paid')

    # A review whose text is markup stays text and runs nothing.
    b.click_link('Filter coffee, 500 g')
    b.fill('Your review', XSS)
    b.submit('Post review')
    b.wait_text('.review-list', XSS)
    b.no_alert()
    check(not b.d.find_elements(By.CSS_SELECTOR, '.review-list img'), 'the review became an element')
    b.screenshot('review')

    # Refund with a photo, then the seller's decision.
    b.d.back()
    b.ready()
    b.wait_text('#order-status', 'paid')
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
    b.fill('What happened?', 'A long scratch on the glass top.')
    b.submit('Send')
    b.wait.until(lambda d: '/shop/complaints/' in d.current_url and not d.current_url.endswith('/new'))
    b.ready()
    complaint_id = b.d.current_url.rsplit('/', 1)[1]
    b.wait_text('main h1', 'The scale was scratched')
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
    b.d.find_element(By.ID, 'cancel-order').click()
    b.wait.until(EC.alert_is_present())
    b.d.switch_to.alert.accept()
    b.wait_text('#order-status', 'cancelled')
    b.click_link('Orders')
    b.wait_text('.orders', 'cancelled')
    b.screenshot('orders')

    b.click_link('Nora Newcomer')
    b.wait_text('main h1', 'Your account')
    b.screenshot('account')

    b.d.find_element(By.ID, 'logout').click()
    b.wait_text('#menu', 'Sign in')
    b.d.refresh()
    b.ready()
    check('Sign in' in b.css('#menu').text, 'still signed in after signing out and reloading')


def main():
    started = time.time()
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
        for name, fn in (('wrong password', lambda: test_wrong_password(b)), ('journey', lambda: journey(shop, b))):
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
    print(f'{len(failures)} failed, {time.time() - started:.1f} s; screenshots in {SHOTS}')
    return 1 if failures else 0


if __name__ == '__main__':
    sys.exit(main())
