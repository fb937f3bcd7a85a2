import { expect, test } from '@playwright/test';
import { startAppServer } from './app-server.js';
import { chatMenu, createGroupInUi, openFromList, send, signUp, type Person } from './helpers.js';

let server: Awaited<ReturnType<typeof startAppServer>>;
test.beforeAll(async () => {
  server = await startAppServer();
});
test.afterAll(async () => {
  await server?.close();
});

test('a group owner adds and removes members, renames the group and makes an admin; a member leaves; each change is a line in the chat', async ({
  browser,
}, info) => {
  const device = info.project.use;
  const [olga, pia, quin] = [
    await signUp(browser, server.url, 'Olga Owner', device),
    await signUp(browser, server.url, 'Pia Member', device),
    await signUp(browser, server.url, 'Quin Later', device),
  ];
  await createGroupInUi(olga, 'Book club', [pia]);
  // Who is typing shows in the list, by name.
  await olga.page.getByRole('textbox', { name: 'Message' }).pressSequentially('Hello book');
  await expect(pia.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toContainText(
    'Olga Owner is typing…',
  );
  await olga.page.getByRole('textbox', { name: 'Message' }).fill('');

  // The chat's menu by keyboard: arrows move (and wrap), Escape closes it back to its button.
  const options = olga.page.getByRole('button', { name: 'Chat options' });
  await options.focus();
  await olga.page.keyboard.press('ArrowDown');
  const item = (name: string) => olga.page.getByRole('menuitem', { name });
  await expect(item('Search in chat')).toBeFocused();
  await olga.page.keyboard.press('ArrowDown');
  await expect(item('Members')).toBeFocused();
  await olga.page.keyboard.press('End');
  await expect(item('Leave group')).toBeFocused();
  await olga.page.keyboard.press('ArrowDown');
  await expect(item('Search in chat')).toBeFocused();
  await olga.page.keyboard.press('Escape');
  await expect(olga.page.getByRole('menu')).toHaveCount(0);
  await expect(options).toBeFocused();

  await chatMenu(olga, 'Members');
  const members = olga.page.getByRole('dialog', { name: 'Members of Book club' });
  await members.getByRole('searchbox', { name: 'Search people' }).fill(quin.username);
  await members.getByRole('list', { name: 'People' }).getByRole('button', { name: 'Quin Later' }).click();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  await expect(quin.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toBeVisible();
  // Quin's new chat says why it is there, unread.
  const quinsItem = quin.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ });
  await expect(quinsItem.getByTestId('preview')).toHaveText('Olga Owner added you');
  await expect(quinsItem.getByTestId('unread')).toHaveText('1');
  const lines = (p: Person) => p.page.getByTestId('group-event');
  await expect(lines(olga).last()).toHaveText('You added Quin Later');
  // Found again, Quin says he is in already, and cannot be picked twice.
  await members.getByRole('searchbox', { name: 'Search people' }).fill(quin.username);
  const again = members.getByRole('list', { name: 'People' }).getByRole('button', { name: /Quin Later/ });
  await expect(again).toContainText('Already in the group');
  await expect(again).toBeDisabled();
  await members.getByRole('searchbox', { name: 'Search people' }).fill('');

  // Removing asks first, in the member's row; the focus is on Cancel, and cancelling keeps Quin.
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  const asking = members.getByRole('group', { name: 'Remove Quin Later from the group?' });
  await expect(asking.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await olga.page.screenshot({ path: `test-results/screens/${info.project.name}-remove-member-asks.png` });
  await olga.page.keyboard.press('Enter');
  await expect(asking).toHaveCount(0);
  await expect(members.getByRole('button', { name: 'Remove Quin Later' })).toBeFocused();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(3);
  // Esc answers the question the same way, and the dialog stays open.
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  await expect(asking.getByRole('button', { name: 'Cancel' })).toBeFocused();
  await olga.page.keyboard.press('Escape');
  await expect(asking).toHaveCount(0);
  await expect(members).toBeVisible();
  await expect(members.getByRole('button', { name: 'Remove Quin Later' })).toBeFocused();
  await members.getByRole('button', { name: 'Remove Quin Later' }).click();
  await asking.getByRole('button', { name: 'Yes, remove Quin Later' }).click();
  await expect(members.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await expect(quin.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Book club/ })).toHaveCount(
    0,
  );
  // Quin is told, rather than see the group vanish.
  await expect(quin.page.getByRole('alert')).toContainText('You are no longer a member of Book club');
  await expect(lines(olga).last()).toHaveText('You removed Quin Later');
  // A link to the group (kept from before) says it is not Quin's any more.
  await quin.page.goto(olga.page.url());
  await expect(quin.page.getByRole('alert')).toContainText('That chat is not available');
  await expect(quin.page.getByRole('list', { name: 'Chats' })).toBeVisible();
  await quin.page.screenshot({ path: `test-results/screens/${info.project.name}-removed-from-group.png` });

  // Renamed: the dialog, the header and the other member's list follow.
  const name = members.getByRole('textbox', { name: 'Group name' });
  await expect(members.getByRole('button', { name: 'Save' })).toBeDisabled();
  await name.fill('Reading circle');
  await members.getByRole('button', { name: 'Save' }).click();
  const renamed = olga.page.getByRole('dialog', { name: 'Members of Reading circle' });
  await expect(renamed).toBeVisible();
  await expect(
    pia.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ }),
  ).toBeVisible();

  // A plain member sees no management; made an admin, Pia can rename too.
  await openFromList(pia, 'Reading circle');
  await expect(lines(pia)).toHaveText([
    'Olga Owner added Quin Later',
    'Olga Owner removed Quin Later',
    'Olga Owner renamed the group to “Reading circle”',
  ]);
  await chatMenu(pia, 'Members');
  const piaMembers = pia.page.getByRole('dialog', { name: 'Members of Reading circle' });
  await expect(piaMembers.getByRole('list', { name: 'Members' }).getByRole('listitem')).toHaveCount(2);
  await expect(piaMembers.getByRole('textbox', { name: 'Group name' })).toHaveCount(0);
  await expect(piaMembers.getByRole('button', { name: /^Remove / })).toHaveCount(0);
  await renamed.getByRole('button', { name: 'Make admin: Pia Member' }).click();
  await expect(renamed.getByRole('button', { name: 'Dismiss as admin: Pia Member' })).toBeVisible();
  await expect(piaMembers.getByRole('textbox', { name: 'Group name' })).toBeVisible();
  await expect(piaMembers.getByRole('listitem').filter({ hasText: 'Pia Member' })).toContainText('admin');
  // An admin cannot remove the owner or change roles.
  await expect(piaMembers.getByRole('button', { name: 'Remove Olga Owner' })).toHaveCount(0);
  await expect(piaMembers.getByRole('button', { name: /admin:/ })).toHaveCount(0);
  await olga.page.screenshot({ path: `test-results/screens/${info.project.name}-group-members.png` });
  await renamed.getByRole('button', { name: 'Close' }).click();

  // Leaving asks first; cancelling keeps the group. (Pia says goodbye first.)
  await piaMembers.getByRole('button', { name: 'Close' }).click();
  await send(pia, 'bye for now');
  await expect(olga.page.getByTestId('sender-name').last()).toHaveText('Pia Member');
  await chatMenu(pia, 'Members');
  await piaMembers.getByRole('button', { name: 'Leave group' }).click();
  const confirm = pia.page.getByRole('dialog', { name: 'Leave Reading circle?' });
  await confirm.getByRole('button', { name: 'Cancel' }).click();
  await expect(confirm).toHaveCount(0);
  await chatMenu(pia, 'Leave group');
  await confirm.getByRole('button', { name: 'Leave', exact: true }).click();
  await expect(
    pia.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ }),
  ).toHaveCount(0);
  // Pia left by herself: no news for her (not even once the server's word of the change has
  // come and gone: Olga's list shows Pia gone after it).
  await chatMenu(olga, 'Members');
  await expect(
    olga.page
      .getByRole('dialog', { name: 'Members of Reading circle' })
      .getByRole('list', { name: 'Members' })
      .getByRole('listitem'),
  ).toHaveCount(1);
  await pia.page.waitForTimeout(500);
  await expect(pia.page.getByRole('alert')).toHaveCount(0);
  // Her message keeps her name, in the thread and the list, after she left (and after a reload).
  await olga.page
    .getByRole('dialog', { name: 'Members of Reading circle' })
    .getByRole('button', { name: 'Close' })
    .click();
  const lastSender = () => olga.page.getByTestId('sender-name').last();
  const listItem = () => olga.page.getByRole('list', { name: 'Chats' }).getByRole('button', { name: /Reading circle/ });
  await expect(lastSender()).toHaveText('Pia Member');
  await expect(lines(olga).last()).toHaveText('Pia Member left');
  await olga.page.screenshot({ path: `test-results/screens/${info.project.name}-group-lines.png` });
  if (info.project.name === 'phone') await olga.page.getByRole('button', { name: 'Back' }).click();
  await expect(listItem().getByTestId('preview')).toHaveText('Pia Member left');
  await olga.page.reload();
  await expect(listItem().getByTestId('preview')).toHaveText('Pia Member left');
  await openFromList(olga, 'Reading circle');
  await expect(lastSender()).toHaveText('Pia Member');
  await expect(lines(olga).last()).toHaveText('Pia Member left');
  for (const p of [olga, pia, quin]) await p.page.context().close();
});
