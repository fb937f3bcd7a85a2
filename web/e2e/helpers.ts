import { mkdirSync } from 'node:fs';
import { expect, test, type Browser, type Locator, type Page } from '@playwright/test';

let n = 0;
const literal = (s: string) => new RegExp(s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
export const uniq = (prefix: string) => `${prefix}${Date.now().toString(36).slice(-4)}${(n++).toString(36)}`;

// Screenshots of screens to look at (SHOTS_DIR=/tmp/shots to put them elsewhere).
const SHOTS = process.env.SHOTS_DIR ?? 'test-results/screens';
export const shot = (page: Page, name: string) => {
  mkdirSync(SHOTS, { recursive: true });
  return page.screenshot({ path: `${SHOTS}/${test.info().project.name}-${name}.png` });
};
/** The running project's device, in the light theme. */
export const deviceOf = () => ({ ...test.info().project.use, colorScheme: 'light' as const });
export const isPhone = () => test.info().project.name === 'phone';

export interface Person {
  page: Page;
  username: string;
  name: string;
}

/** A new browser context (its own storage, like a second device or person) that signs up. */
export async function signUp(browser: Browser, url: string, name: string, contextOptions = {}): Promise<Person> {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  const username = uniq(
    name
      .toLowerCase()
      .replace(/[^a-z]/g, '')
      .slice(0, 12) || 'user',
  );
  await page.goto(url);
  await page.getByRole('button', { name: 'Create an account' }).click();
  await page.getByLabel('Username').fill(username);
  await page.getByLabel('Display name').fill(name);
  await page.getByLabel('Email').fill(`${username}@example.test`);
  await page.getByLabel('Password').fill('correct horse battery');
  await page.getByRole('button', { name: 'Create account' }).click();
  await expect(page.getByRole('searchbox', { name: 'Search people' })).toBeVisible();
  await expect(page.getByTestId('connection')).toHaveAttribute('data-state', 'online');
  return { page, username, name };
}

/** Finds someone with "Search people" and opens the direct chat. */
export async function openChatWith(me: Person, other: Person) {
  await me.page.getByRole('searchbox', { name: 'Search people' }).fill(other.username);
  await me.page
    .getByRole('list', { name: 'People' })
    .getByRole('button', { name: literal(other.name) })
    .click();
  await expect(me.page.getByRole('heading', { name: other.name })).toBeVisible();
}

/** Opens an existing conversation from the list. */
export async function openFromList(me: Person, title: string) {
  await me.page
    .getByRole('list', { name: 'Chats' })
    .getByRole('button', { name: literal(title) })
    .click();
  await expect(me.page.getByRole('heading', { name: title })).toBeVisible();
}

export async function send(me: Person, text: string) {
  await me.page.getByRole('textbox', { name: 'Message' }).fill(text);
  await me.page.getByRole('button', { name: 'Send', exact: true }).click();
}

export const bubbles = (p: Person) => p.page.getByTestId('message-text');

/** Creates a group through "New group" with the given members, and waits until it is open. */
export async function createGroupInUi(owner: Person, title: string, members: Person[]) {
  await owner.page.getByRole('button', { name: 'New group' }).click();
  const dialog = owner.page.getByRole('dialog', { name: 'New group' });
  await dialog.getByLabel('Group name').fill(title);
  for (const p of members) {
    await dialog.getByRole('searchbox', { name: 'Search people' }).fill(p.username);
    await dialog.getByRole('list', { name: 'People' }).getByRole('button', { name: p.name }).click();
  }
  await dialog.getByRole('button', { name: 'Create group' }).click();
  await expect(owner.page.getByRole('heading', { name: title })).toBeVisible();
}

/** Opens an item of the open conversation's "Chat options" menu: Search in chat, Members, Leave group. */
export async function chatMenu(me: Person | { page: Page }, item: string) {
  await me.page.getByRole('button', { name: 'Chat options' }).click();
  await me.page.getByRole('menuitem', { name: item }).click();
}

export const own = (p: Person, text: string) => p.page.getByTestId('own-message').filter({ hasText: text });
export const theirs = (p: Person, text: string) => p.page.getByTestId('their-message').filter({ hasText: text });

/** A message's actions: a tap on the bubble on phones, the "⋯" button beside it on desktop. */
export async function actions(p: Person, bubble: Locator) {
  if (test.info().project.name === 'phone') {
    await bubble.getByTestId('message-text').click();
  } else {
    await bubble.hover();
    await bubble.locator('xpath=..').getByRole('button', { name: 'Message actions' }).click();
  }
  const menu = p.page.getByRole('menu', { name: 'Message actions' });
  await expect(menu).toBeVisible();
  return menu;
}
