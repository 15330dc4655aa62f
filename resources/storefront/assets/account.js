// Sign in, register, sign out, forgot and reset password, confirm an email address, profile
// with avatar.
import { login, register, post, patch, api, reloadUser, currentUser, query, ApiError } from './api.js';
import { h, mount, field, flash, showProblem, when } from './ui.js';
import { navigate, requireSignIn } from './shell.js';

function nextPath(params) {
  const next = params.get('next') || '/shop';
  return next.startsWith('/') && !next.startsWith('//') ? next : '/shop';
}

function rewardMessage(session) {
  const r = session.dailyReward;
  return r && r.granted > 0 ? ` You earned ${r.granted} daily coins (balance ${r.balance}).` : '';
}

export function loginPage(params) {
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'login-h', novalidate: true },
    h('h1', { id: 'login-h' }, 'Sign in'),
    field('Email', { name: 'email', type: 'email', autocomplete: 'username', required: true }),
    field('Password', { name: 'password', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit' }, 'Sign in'),
    h('p', {}, h('a', { href: '/shop/forgot' }, 'Forgot your password?')),
    h('p', {}, 'New here? ', h('a', { href: `/shop/register${query({ next: params.get('next') })}` }, 'Create an account')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const session = await login(f.get('email'), f.get('password'));
      flash(`Welcome back, ${session.user.displayName}.${rewardMessage(session)}`, 'ok');
      navigate(nextPath(params));
    } catch (err) {
      const problem = err.problem || { detail: err.message };
      if (err.status === 401) problem.detail = 'Wrong email or password. Check both and try again.';
      if (err.status === 429) problem.detail = 'Too many attempts. Wait a minute and try again.';
      showProblem(form, problem);
    }
  });
  mount(form);
  form.querySelector('input').focus();
  return 'Sign in';
}

export function registerPage(params) {
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'register-h', novalidate: true },
    h('h1', { id: 'register-h' }, 'Create an account'),
    field('Your name', { name: 'displayName', autocomplete: 'name', required: true }),
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field('Password (at least 10 characters)', { name: 'password', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }),
    h('button', { type: 'submit' }, 'Create account'),
    h('p', {}, 'Already have an account? ', h('a', { href: '/shop/login' }, 'Sign in')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      const session = await register({ displayName: f.get('displayName'), email: f.get('email'), password: f.get('password') });
      flash(`Welcome, ${session.user.displayName}!${rewardMessage(session)}`, 'ok');
      navigate(nextPath(params));
    } catch (err) {
      const problem = err.problem || { detail: err.message };
      if (err.status === 409) problem.detail = 'An account with this email exists already. Sign in instead.';
      showProblem(form, problem);
    }
  });
  mount(form);
  form.querySelector('input').focus();
  return 'Register';
}

export function forgotPage() {
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'forgot-h', novalidate: true },
    h('h1', { id: 'forgot-h' }, 'Forgot your password?'),
    h('p', {}, 'Enter your email. If an account uses it, we send a link to choose a new password.'),
    field('Email', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    h('button', { type: 'submit' }, 'Send the link'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await post('/auth/forgot-password', { email: new FormData(form).get('email') });
      mount(h('section', { class: 'panel narrow' }, h('h1', {}, 'Check your mail'),
        h('p', {}, 'If an account uses that email, a link is on its way. It works once, for 30 minutes.')));
    } catch (err) { showProblem(form, err.problem || { detail: err.message }); }
  });
  mount(form);
  return 'Forgot password';
}

export function resetPage(params) {
  const token = params.get('token') || '';
  const form = h('form', { class: 'panel narrow', 'aria-labelledby': 'reset-h', novalidate: true },
    h('h1', { id: 'reset-h' }, 'Choose a new password'),
    token ? null : field('Reset code from the mail', { name: 'token', required: true }),
    field('New password (at least 10 characters)', { name: 'newPassword', type: 'password', autocomplete: 'new-password', required: true, minlength: 10 }),
    h('button', { type: 'submit' }, 'Save password'));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    try {
      await post('/auth/reset-password', { token: token || f.get('token'), newPassword: f.get('newPassword') });
      flash('Your password is changed. Sign in with the new one.', 'ok');
      navigate('/shop/login', { replace: true });
    } catch (err) {
      const problem = err.problem || { detail: err.message };
      if (err.status === 400) problem.detail = 'This link is used, expired or wrong. Ask for a new one.';
      showProblem(form, problem);
    }
  });
  mount(form);
  return 'Reset password';
}

export async function confirmEmailPage(params) {
  const token = params.get('token') || '';
  const panel = (title, text, ...more) => h('section', { class: 'panel narrow', 'aria-labelledby': 'confirm-h' },
    h('h1', { id: 'confirm-h' }, title), h('p', {}, text), ...more);
  if (!token) {
    mount(panel('Confirm your email', 'Open the link from the mail we sent you; it brings you here with its code.'));
    return 'Confirm email';
  }
  try {
    await post('/auth/confirm-email', { token });
    if (currentUser()) await reloadUser();
    mount(panel('Email confirmed', 'Thank you: this address is now confirmed for your account.',
      h('p', {}, h('a', { href: currentUser() ? '/shop/account' : '/shop/login' }, currentUser() ? 'Go to your account' : 'Sign in'))));
  } catch (err) {
    const problem = err.problem || { detail: err.message };
    const text = err.status === 400 ? 'This link is used, expired or wrong. Sign in and ask for a new one from your account.'
      : err.status === 409 ? 'Another account uses this address now, so it cannot be yours.'
        : problem.detail;
    mount(panel('This link did not work', text));
  }
  return 'Confirm email';
}

export async function profilePage() {
  if (!requireSignIn()) return 'Sign in';
  const me = await reloadUser();
  const coins = await api('GET', '/me/coins?limit=10');
  const avatar = me.avatarUrl
    ? h('img', { class: 'avatar big', src: me.avatarUrl, alt: 'Your profile picture', width: 96, height: 96 })
    : h('div', { class: 'avatar big empty noimg', role: 'img', 'aria-label': 'No profile picture', 'data-initial': (me.displayName || '?').slice(0, 1) });
  const fileInput = h('input', { type: 'file', id: 'avatar-file', name: 'file', accept: 'image/png,image/jpeg,image/webp' });
  const avatarForm = h('form', { class: 'avatar-form', 'aria-label': 'Profile picture' },
    avatar, h('div', { class: 'field' }, h('label', { for: 'avatar-file' }, 'New profile picture'), fileInput,
      h('span', { class: 'field-error', 'data-for': 'file' })),
    h('button', { type: 'submit' }, 'Upload picture'),
    me.avatarUrl ? h('button', { type: 'button', class: 'secondary', onclick: async () => {
      await api('DELETE', '/me/avatar'); navigate('/shop/account', { replace: true });
    } }, 'Remove picture') : null);
  avatarForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const file = fileInput.files[0];
    if (!file) { showProblem(avatarForm, { detail: 'Choose a picture first.' }); return; }
    try {
      await api('PUT', '/me/avatar', { body: file, headers: { 'Content-Type': file.type || 'application/octet-stream' } });
      flash('Your picture is saved.', 'ok');
      navigate('/shop/account', { replace: true });
    } catch (err) { showProblem(avatarForm, err.problem || { detail: err.message }); }
  });

  const unverified = me.emailVerified === false
    ? h('p', { class: 'notice', role: 'status' }, `Your email address ${me.email} is not confirmed yet. `,
      'Open the link in the mail we sent to it to confirm it.')
    : null;

  const emailForm = h('form', { class: 'panel', 'aria-label': 'Your email address', novalidate: true },
    field('New email address', { name: 'email', type: 'email', autocomplete: 'email', required: true }),
    field('Current password', { name: 'currentPassword', type: 'password', autocomplete: 'current-password', required: true }),
    h('button', { type: 'submit' }, 'Change email'));
  emailForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(emailForm);
    try {
      await patch('/me', { email: f.get('email'), currentPassword: f.get('currentPassword') });
      emailForm.reset();
      flash(`We sent a link to ${f.get('email')}. Your address changes when you open it.`, 'ok');
    } catch (err) {
      const problem = err.problem || { detail: err.message };
      if (err.status === 409) problem.detail = 'Another account uses this address.';
      if (err.status === 429) problem.detail = 'Too many attempts. Wait a minute and try again.';
      showProblem(emailForm, problem);
    }
  });

  const nameForm = h('form', { class: 'panel', 'aria-label': 'Your details' },
    field('Your name', { name: 'displayName', value: me.displayName, autocomplete: 'name', required: true }),
    h('button', { type: 'submit' }, 'Save name'));
  nameForm.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      await patch('/me', { displayName: new FormData(nameForm).get('displayName') });
      await reloadUser();
      flash('Saved.', 'ok');
    } catch (err) { showProblem(nameForm, err.problem || { detail: err.message }); }
  });

  mount(h('h1', {}, 'Your account'), unverified,
    h('section', { class: 'panel' }, h('p', {}, h('strong', {}, me.displayName), ' · ', me.email),
      h('p', {}, `Member since ${when(me.createdAt)}`), avatarForm),
    nameForm,
    emailForm,
    h('section', { class: 'panel', 'aria-labelledby': 'coins-h' },
      h('h2', { id: 'coins-h' }, `Coins: ${coins.balance}`),
      h('p', { class: 'muted' }, 'You earn coins by signing in each day, and spend them at checkout.'),
      coins.entries.length ? h('ul', { class: 'plain' }, coins.entries.map((c) =>
        h('li', {}, `${c.delta > 0 ? '+' : ''}${c.delta} · ${c.reason.replace(/_/g, ' ')} · ${when(c.createdAt)}`))) : null),
    h('p', {}, h('a', { href: '/shop/refunds' }, 'Your refund requests'), ' · ', h('a', { href: '/shop/complaints' }, 'Your complaints')));
  return 'Your account';
}

export { ApiError, currentUser };
