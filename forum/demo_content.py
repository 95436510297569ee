"""The demo community's people and threads, written for this project.

Kestrel is a made-up maker of laptops (Aster), printers (Beacon), routers (Halo),
headsets (Pulse), docks and apps (KeyVault, Kestrel Backup, Kestrel Connect).
``forum.demo`` loads this data through the services.

Users are keyed by a short name. In a thread, ``age`` is how many days ago the
question was asked, ``after`` is hours after the question, a comment's target is
``"q"`` or the index of an answer, ``votes`` maps voter to +1 or -1, and
``accepted`` is the index of the accepted answer (by the asker unless
``accepted_by`` is ``"staff"``).
"""

from typing import NotRequired, TypedDict

DEMO_PASSWORD = "demo-password-1"
STAFF_PASSWORD = "staff-password-1"


class Person(TypedDict):
    """A demo account: its key in the threads, its profile, and how many days
    ago it joined; without a password nobody can log in as it."""

    key: str
    username: str
    password: NotRequired[str]
    role: str
    display_name: str
    location: str
    joined: int
    about: str


USERS: list[Person] = [
    {
        "key": "demo",
        "username": "demo",
        "password": DEMO_PASSWORD,
        "role": "user",
        "display_name": "Dana (demo)",
        "location": "Leeds",
        "joined": 80,
        "about": "The ordinary account of the demo. Ask, answer, vote and accept.",
    },
    {
        "key": "staff",
        "username": "staff",
        "password": STAFF_PASSWORD,
        "role": "staff",
        "display_name": "Nora from Kestrel Support",
        "location": "Kestrel HQ",
        "joined": 90,
        "about": "Support engineer at Kestrel. I verify solutions and tidy threads.",
    },
    {
        "key": "maria",
        "username": "maria.k",
        "role": "user",
        "display_name": "Maria K.",
        "location": "Valencia",
        "joined": 75,
        "about": "Runs a small accounting office; three laptops, one stubborn printer.",
    },
    {
        "key": "tobias",
        "username": "tobias_r",
        "role": "user",
        "display_name": "Tobias R.",
        "location": "Hamburg",
        "joined": 88,
        "about": "Network admin by day. I answer router and Wi-Fi questions for fun.",
    },
    {
        "key": "lena",
        "username": "lena.h",
        "role": "user",
        "display_name": "Lena H.",
        "location": "Utrecht",
        "joined": 70,
        "about": "Photographer. My Aster 16 goes everywhere with me.",
    },
    {
        "key": "ahmed",
        "username": "ahmed.dev",
        "role": "user",
        "display_name": "Ahmed",
        "location": "Cairo",
        "joined": 85,
        "about": "Backend developer. Happiest in a terminal.",
    },
    {
        "key": "priya",
        "username": "priya.s",
        "role": "user",
        "display_name": "Priya S.",
        "location": "Pune",
        "joined": 60,
        "about": "Owner of a tiny design studio; IT person by necessity.",
    },
    {
        "key": "jonas",
        "username": "jonas.w",
        "role": "user",
        "display_name": "Jonas W.",
        "location": "Vienna",
        "joined": 55,
        "about": "Student, part-time gamer, full-time tinkerer.",
    },
]

THREADS = [
    {
        "asker": "maria",
        "age": 44.2,
        "views": 412,
        "title": (
            "Aster 14 stopped charging: the charging light blinks amber three times"
        ),
        "tags": "laptop charging battery aster-14",
        "body": """\
My Aster 14 (bought last spring) stopped charging yesterday. When I plug in the
original 65 W USB-C charger, the light next to the port blinks **amber three
times** and then goes dark. The battery is at 4% now.

What I tried so far:

- a different wall socket
- the other USB-C port on the left side
- my colleague's charger (same model)

Is the battery dead, or is there something I can reset?""",
        "votes": {"tobias": 1, "lena": 1, "priya": 1},
        "answers": [
            {
                "by": "staff",
                "after": 2.5,
                "body": """\
Three amber blinks means the embedded controller refused to charge, usually
after a power surge or a deep discharge. An **EC reset** clears it:

1. Unplug the charger and any USB devices.
2. Hold the power button for **30 seconds** (the laptop must be off).
3. Plug the charger in *before* turning the laptop on, and wait 5 minutes.
4. Turn it on; the light should now be steady white.

If it still blinks amber, please open a repair case from your Kestrel account:
the battery connector may need reseating.""",
                "votes": {"maria": 1, "tobias": 1, "jonas": 1, "ahmed": 1},
            },
            {
                "by": "jonas",
                "after": 5,
                "body": """\
Had the same blink code on mine. The power-button reset worked, but only after
I let the laptop sit unplugged overnight first. Might be worth trying if the
30 seconds are not enough.""",
                "votes": {"maria": 1},
            },
            {
                "by": "ahmed",
                "after": 26,
                "body": """\
Once it is charging again, check the battery health so you know whether this
will come back. In an admin terminal:

```
powercfg /batteryreport /output "%USERPROFILE%\\battery.html"
```

Open the HTML file and compare *Design capacity* with *Full charge capacity*.""",
                "votes": {"tobias": 1},
            },
        ],
        "comments": [
            ("q", "tobias", 1, "Does the light blink with the laptop on or off?"),
            (
                "q",
                "maria",
                1.5,
                "Off. With it on, it just says 'plugged in, not charging'.",
            ),
            (0, "maria", 4, "That did it: steady white light after step 3. Thank you!"),
            (
                2,
                "lena",
                30,
                "Good tip, my Aster 16 is already down to 86% of design capacity.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "priya",
        "age": 41.6,
        "views": 655,
        "title": "Beacon P200 shows Offline in Windows 11 but prints its own test page",
        "tags": "printer windows-11 wifi beacon-p200",
        "body": """\
Our Beacon P200 all-in-one is on the office Wi-Fi and prints a network
configuration page from its own menu just fine. On both Windows 11 PCs the
printer shows **Offline** in *Settings > Printers & scanners*, and jobs just
sit in the queue.

It worked until we replaced the router last week. The printer's page says its
IP address is `192.168.1.57`.""",
        "votes": {"maria": 1, "tobias": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 1.2,
                "body": """\
New router, new address range: Windows still has a port pointing at the
printer's **old** IP address. Check which address the port uses:

```powershell
Get-Printer | Select-Object Name, PortName
Get-PrinterPort | Select-Object Name, PrinterHostAddress
```

If the port says something like `192.168.0.23`, remove the printer and add it
again, or edit the port to `192.168.1.57`. Then give the printer a DHCP
reservation in the new router so the address never changes again.""",
                "votes": {"priya": 1, "maria": 1, "staff": 1, "ahmed": 1},
            },
            {
                "by": "staff",
                "after": 3,
                "body": """\
Tobias is right. One more thing for the P200 specifically: firmware 2.14 and
later use **WSD** by default, which Windows sometimes marks offline when the
printer wakes from deep sleep. In the printer's web page (open its IP address
in a browser) set *Network > Protocols > WSD* to off and add the printer with
the TCP/IP port instead.""",
                "votes": {"priya": 1, "tobias": 1},
            },
        ],
        "comments": [
            (
                0,
                "priya",
                2,
                "The port still had 192.168.0.31. Changed it and both PCs print again.",
            ),
            (
                1,
                "maria",
                20,
                "Turning WSD off also fixed the random 'offline' in the "
                "mornings for us.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "demo",
        "age": 39.1,
        "views": 318,
        "title": "Wi-Fi drops every few minutes on the Halo AX3000, only on 5 GHz",
        "tags": "wifi router halo-ax3000",
        "body": """\
Since moving flats, my laptop and phone lose Wi-Fi for 10-20 seconds every few
minutes. It only happens on the 5 GHz network; 2.4 GHz is stable but slow.
The router is a Halo AX3000 on the latest firmware, about 6 m away with one wall
in between. There are 30+ networks visible in the building.""",
        "votes": {"tobias": 1, "jonas": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 3,
                "body": """\
Look at the router log (*Advanced > System log*) around a drop. If you see
`DFS: radar detected, switching channel`, the router is on a **DFS channel**
(52-144) and has to go quiet when it thinks it hears weather radar. Pick a
fixed non-DFS channel instead:

- *Wireless > 5 GHz > Channel*: 36, 40, 44 or 48
- *Channel width*: 80 MHz (160 MHz almost always lands on DFS)

Your devices will reconnect once and then stay.""",
                "votes": {"demo": 1, "lena": 1, "staff": 1},
            },
            {
                "by": "jonas",
                "after": 8,
                "body": """\
Also worth checking the laptop side: in *Device Manager > Network adapters >
(your Wi-Fi card) > Power Management*, untick *Allow the computer to turn off
this device to save power*. That caused drops for me with any router.""",
                "votes": {"demo": 1},
            },
            {
                "by": "priya",
                "after": 30,
                "body": """\
A free Wi-Fi analyser app on your phone will show which channels your
neighbours use. In my building everyone was on 36, so 44 worked better.""",
                "votes": {},
            },
        ],
        "comments": [
            (
                "q",
                "tobias",
                2,
                "Do the drops happen on all devices at the same moment?",
            ),
            (
                "q",
                "demo",
                2.5,
                "Yes, phone and laptop drop together, so it is the router side.",
            ),
            (
                0,
                "demo",
                28,
                "The log is full of radar messages. On channel 44 now, testing.",
            ),
        ],
        "accepted": None,
    },
    {
        "asker": "lena",
        "age": 37.4,
        "views": 502,
        "title": (
            "Lost my phone with the authenticator app: how do I get back into my "
            "Kestrel account?"
        ),
        "tags": "account two-factor recovery",
        "body": """\
My phone was stolen, and with it the authenticator app for my Kestrel account.
I still know my password, but the login asks for the six-digit code. I did not
save the recovery codes when I set up two-factor authentication (I know...).

I need the account for my warranty registrations. What are my options?""",
        "votes": {"maria": 1, "priya": 1, "jonas": 1, "demo": 1},
        "answers": [
            {
                "by": "staff",
                "after": 1,
                "body": """\
Sorry about the phone. Without recovery codes we need to confirm it is you:

1. On the code prompt choose **Can't use your authenticator?**
2. Choose **Recover by email**. We send a link to the account's address.
3. The link opens a form asking for the serial number of one registered device
   (it is on the bottom of your laptop or in the box).
4. After a review, usually within one working day, two-factor is reset and you
   can set it up again on your new phone.

This time, **save the recovery codes** in a password manager or print them.""",
                "votes": {"lena": 1, "maria": 1, "tobias": 1, "ahmed": 1, "priya": 1},
            },
            {
                "by": "ahmed",
                "after": 6,
                "body": """\
For next time: most authenticator apps can back up their secrets (encrypted)
to your cloud account, and several let you add the same secret on two devices.
I keep a second copy on an old tablet that never leaves home.""",
                "votes": {"lena": 1, "jonas": 1},
            },
        ],
        "comments": [
            (
                0,
                "lena",
                30,
                "Recovered the next morning. Codes are now printed and in a drawer.",
            ),
            (
                1,
                "staff",
                8,
                "A second device is a good idea; just keep it locked with a PIN.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "jonas",
        "age": 34.8,
        "views": 289,
        "title": "Pulse H7 headset pairs with my phone but not with my Windows laptop",
        "tags": "bluetooth headset windows-11 pulse-h7",
        "body": """\
The Pulse H7 pairs with my phone instantly. On my Windows 11 laptop it shows
up in *Add a device*, I click it, it says **Connecting...** for a while and then
"Try connecting your device again". I removed the phone pairing first, no change.
Other Bluetooth devices (mouse, speaker) work on the laptop.""",
        "votes": {"demo": 1, "lena": 1},
        "answers": [
            {
                "by": "lena",
                "after": 4,
                "body": """\
The H7 only accepts a new pairing while it is in *pairing mode*, and it
leaves that mode as soon as it connects to a known device. Your phone grabs
it first. Turn Bluetooth off on the phone, then hold the headset's power button
for 7 seconds until the light flashes **blue and red**, and pair from Windows.""",
                "votes": {"jonas": 1, "maria": 1, "staff": 1},
            },
            {
                "by": "ahmed",
                "after": 9,
                "body": """\
If pairing mode does not help, update the laptop's Bluetooth driver from the
Kestrel support page rather than Windows Update. The older Intel driver had
trouble with LE Audio headsets like the H7.""",
                "votes": {"jonas": 1},
            },
            {
                "by": "demo",
                "after": 50,
                "body": """\
Same problem here; what fixed it for me was removing the headset in
*Settings > Bluetooth & devices*, restarting the laptop, and only then
pairing again. Windows had a half-finished pairing stuck.""",
                "votes": {},
            },
        ],
        "comments": [
            (
                "q",
                "ahmed",
                2,
                "Which Windows build? Run winver and tell us the number.",
            ),
            ("q", "jonas", 3, "23H2, build 22631. Up to date as far as I can tell."),
            (0, "jonas", 10, "That was it! The phone kept stealing the connection."),
        ],
        "accepted": 0,
    },
    {
        "asker": "maria",
        "age": 32.5,
        "views": 731,
        "title": "Blue screen DRIVER_IRQL_NOT_LESS_OR_EQUAL after last week's update",
        "tags": "windows-11 bsod drivers",
        "body": """\
Since the update last Tuesday, one of our office laptops (Aster 14) crashes with a
blue screen two or three times a day:

```
Stop code: DRIVER_IRQL_NOT_LESS_OR_EQUAL
What failed: netwtw10.sys
```

It seems to happen mostly when the laptop reconnects to Wi-Fi after sleep.""",
        "votes": {"tobias": 1, "ahmed": 1, "jonas": 1},
        "answers": [
            {
                "by": "ahmed",
                "after": 2,
                "body": """\
`netwtw10.sys` is the Intel Wi-Fi driver, so the update most likely replaced
the driver with a version that does not like your card. Roll it back:

1. *Device Manager > Network adapters > Intel(R) Wi-Fi 6 AX201* > *Properties*
2. *Driver* tab > **Roll Back Driver**
3. Restart.

To stop Windows Update from reinstalling it straight away, install the
Kestrel-tested driver from the support page afterwards; Windows only replaces
drivers with newer ones.""",
                "votes": {"maria": 1, "tobias": 1, "staff": 1, "lena": 1},
            },
            {
                "by": "staff",
                "after": 5,
                "body": """\
Confirmed: driver 23.20 from Windows Update causes this on some Aster 14 units
with the AX201 card. Version 23.10 on our support page is the fixed one until
the next update goes out. Thanks for the clear report with the file name, it
helps a lot.""",
                "votes": {"maria": 1, "ahmed": 1},
            },
            {
                "by": "jonas",
                "after": 7,
                "body": """\
Honestly, a clean reinstall of Windows fixes these things every time. Back up
your files and start fresh.""",
                "votes": {"tobias": -1, "ahmed": -1},
            },
        ],
        "comments": [
            (
                2,
                "tobias",
                8,
                "A reinstall would pull the same driver from Windows Update again.",
            ),
            (
                0,
                "maria",
                52,
                "Rolled back two days ago, not a single crash since. Thank you.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "priya",
        "age": 30.3,
        "views": 244,
        "title": "Laptop takes almost three minutes to reach the desktop after login",
        "tags": "performance startup windows-11",
        "body": """\
My Aster 14 used to be on the desktop in 20 seconds. Now, after I type my PIN,
the screen stays black with the cursor for a long time, and then icons appear
one by one. Total is almost **three minutes**. The disk light is busy the whole
time. 16 GB RAM, 512 GB SSD with 140 GB free.""",
        "votes": {"maria": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 3,
                "body": """\
Start by finding out what runs at login. *Task Manager > Startup apps* now
shows a **Startup impact** column; disable everything marked *High* that you
do not need right away (cloud sync clients, chat apps, updaters).

Then check whether a single program is the culprit:

```
Get-WinEvent -LogName "Microsoft-Windows-Diagnostics-Performance/Operational" |
  Where-Object Id -eq 100 | Select-Object -First 5 TimeCreated, Message
```

Event 100 lists the boot time; events 101-110 name the slow apps and drivers.""",
                "votes": {"priya": 1, "ahmed": 1, "staff": 1},
            },
            {
                "by": "lena",
                "after": 28,
                "body": """\
In my case it was a photo-sync tool indexing 200 GB on every start. Pausing
its "scan at startup" option took boot from two minutes to half a minute.""",
                "votes": {"priya": 1},
            },
        ],
        "comments": [
            (
                0,
                "priya",
                20,
                "Event 109 pointed at an old scanner utility. Uninstalled: 25 s now.",
            ),
        ],
        "accepted": 0,
        "edit": {
            "after": 1,
            "summary": "added the BIOS version",
            "append": "\n\n**Edit:** BIOS is 1.18, the latest on the support page.",
        },
    },
    {
        "asker": "lena",
        "age": 28.6,
        "views": 377,
        "title": (
            "External monitor not detected over HDMI on Aster 16 after closing the lid"
        ),
        "tags": "monitor hdmi aster-16",
        "body": """\
My 27" monitor is connected over HDMI to my Aster 16. If I start the laptop with
the lid open, everything is fine. If I close the lid (to use only the monitor)
and later wake the laptop with the keyboard, the monitor says **No signal** and
Windows shows only one display. Plugging the cable out and in fixes it until the
next sleep.""",
        "votes": {"tobias": 1, "priya": 1, "demo": 1},
        "answers": [
            {
                "by": "staff",
                "after": 6,
                "body": """\
This is a known issue with BIOS 1.09 on the Aster 16: the HDMI port is
powered down in lid-closed sleep. BIOS **1.12** fixes it. Install it with the
charger connected, from *Kestrel Update* or the support page.

Until then, setting *Control Panel > Power Options > Choose what closing the
lid does* to **Do nothing** (when plugged in) avoids the problem.""",
                "votes": {"lena": 1, "tobias": 1, "maria": 1},
            },
            {
                "by": "jonas",
                "after": 12,
                "body": """\
Press <kbd>Win</kbd> + <kbd>Ctrl</kbd> + <kbd>Shift</kbd> + <kbd>B</kbd> when it
happens. It restarts the graphics driver and often brings the monitor back
without touching the cable.""",
                "votes": {"lena": 1, "ahmed": 1},
            },
        ],
        "comments": [
            (
                "q",
                "jonas",
                2,
                "Does it happen over USB-C to DisplayPort too, or only HDMI?",
            ),
            ("q", "lena", 3, "No other cable to test with, sorry. Only HDMI so far."),
            (
                0,
                "lena",
                30,
                "BIOS 1.12 installed, three days without a single 'No signal'.",
            ),
        ],
        "accepted": 0,
        "accepted_by": "staff",
    },
    {
        "asker": "ahmed",
        "age": 26.2,
        "views": 468,
        "title": "Battery drains 30% overnight while the laptop is asleep",
        "tags": "battery sleep laptop",
        "body": """\
I close the lid at night with ~80% and the next morning the Aster 14 is at
~50% and warm. It should be asleep. I suspect *Modern Standby* keeps waking
it, but I do not know how to prove what wakes it.""",
        "votes": {"tobias": 1, "lena": 1, "jonas": 1, "staff": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 2,
                "body": """\
Windows records every standby session. Generate the report:

```
powercfg /sleepstudy /duration 3
```

It writes `sleepstudy-report.html`. Each session lists the *top offenders*
and the percentage of time the device was active. Typical culprits:

- a network adapter kept awake to receive notifications
- a sync client or backup job
- a USB device (a mouse receiver can wake it)

For the network case, *Settings > System > Power > Screen and sleep* has
**Stay connected to the network while asleep**: set it to *Never* on battery.""",
                "votes": {"ahmed": 1, "lena": 1, "priya": 1, "staff": 1},
            },
            {
                "by": "staff",
                "after": 20,
                "body": """\
If you rarely need instant resume, **hibernate** uses no power at all. Kestrel's
BIOS 1.18 adds *Hibernate after 2 hours of standby* under *Power > Advanced*;
it resumes in about 10 seconds from the SSD.""",
                "votes": {"ahmed": 1, "maria": 1},
            },
        ],
        "comments": [
            (
                0,
                "ahmed",
                5,
                "The report blames the Wi-Fi adapter for 71% of active time. Wow.",
            ),
            (
                0,
                "ahmed",
                30,
                "With 'stay connected' set to Never it lost 3% overnight. Solved.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "maria",
        "age": 24.0,
        "views": 199,
        "title": "Kestrel Connect VPN disconnects every 10 minutes on home Wi-Fi",
        "tags": "vpn networking kestrel-connect",
        "body": """\
Two of my staff work from home with Kestrel Connect. On their home Wi-Fi the
VPN drops roughly every 10 minutes with *Tunnel closed by peer*, then
reconnects. On a phone hotspot it stays up for hours. Their internet itself
does not drop.""",
        "votes": {"tobias": 1, "ahmed": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 4,
                "body": """\
Ten minutes is a classic **UDP timeout** on consumer routers: the router
forgets the VPN's UDP session when nothing passes for a while, and the next
packet is dropped. Fixes, from easiest:

1. In Kestrel Connect, *Settings > Advanced > Keep-alive interval*: set
   **25 seconds**.
2. Or switch the protocol to **TCP 443**, which routers track longer.
3. If you manage those routers, disable *SIP ALG* and raise the UDP timeout.""",
                "votes": {"maria": 1, "ahmed": 1, "staff": 1, "jonas": 1},
            },
            {
                "by": "ahmed",
                "after": 9,
                "body": """\
Also check that their home network does not use the same address range as the
office (both `192.168.1.x` is common). Overlapping ranges cause odd drops
when the client renews its routes.""",
                "votes": {"maria": 1, "tobias": 1},
            },
        ],
        "comments": [
            ("q", "ahmed", 1, "Which protocol does the profile use, UDP or TCP?"),
            ("q", "maria", 2, "UDP, the default. Whatever the installer chose."),
            (
                0,
                "maria",
                40,
                "Keep-alive 25 s and no drops in a full day for both of them.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "jonas",
        "age": 21.7,
        "views": 156,
        "title": (
            "Work email stopped syncing on my Android phone after a password change"
        ),
        "tags": "email android exchange",
        "body": """\
I changed my work email password on the laptop (as IT asked us to). Since
then my Android phone's mail app shows *Couldn't sync* and never asks for the
new password. Calendar stopped updating too. Laptop and webmail are fine.""",
        "votes": {"priya": 1},
        "answers": [
            {
                "by": "priya",
                "after": 1.5,
                "body": """\
The app keeps using the old password and the server locks it out quietly. Go
to *Settings > Passwords & accounts > (your work account)* and look for
**Update password** or *Account settings > Incoming server*. If neither shows
up, remove the account and add it again: your mail stays on the server.""",
                "votes": {"jonas": 1, "maria": 1},
            },
            {
                "by": "staff",
                "after": 3,
                "body": """\
If your company uses Microsoft 365, the server may no longer accept basic
passwords from older mail apps at all. Adding the account again with the
**Outlook** app (which signs in through the browser) is the reliable fix.""",
                "votes": {"jonas": 1, "priya": 1, "ahmed": 1},
            },
        ],
        "comments": [
            (
                0,
                "jonas",
                2,
                "There is no 'update password' anywhere in that menu, weird.",
            ),
            (
                1,
                "jonas",
                5,
                "The Outlook app signed in straight away and synced everything.",
            ),
        ],
        "accepted": 1,
    },
    {
        "asker": "priya",
        "age": 19.9,
        "views": 288,
        "title": (
            "Moving passwords from the browser into KeyVault without a plain CSV lying "
            "around"
        ),
        "tags": "password-manager security keyvault",
        "body": """\
I want my team to move from passwords saved in the browser to **KeyVault**.
The only import option I found needs a CSV export from the browser, which is
every password in plain text. How do I do this without leaving that file
behind in *Downloads* or in the recycle bin?""",
        "votes": {"ahmed": 1, "lena": 1, "tobias": 1, "staff": 1},
        "answers": [
            {
                "by": "ahmed",
                "after": 2,
                "body": """\
Keep the CSV's life short and off the disk you sync:

1. Export the CSV **directly to a USB stick** or a folder excluded from cloud
   sync.
2. Import it in *KeyVault > Settings > Import > Browser CSV*.
3. Check a few entries, then delete the file and empty the recycle bin.
4. Delete the passwords from the browser (*Settings > Passwords > Remove all*)
   and turn off its password saving so it does not compete with KeyVault.

The file exists for a minute or two, which is about as good as it gets with CSV.""",
                "votes": {"priya": 1, "tobias": 1, "lena": 1},
            },
            {
                "by": "staff",
                "after": 4,
                "body": """\
KeyVault 4.3 and later can import **directly from Chrome, Edge and Firefox**
with no CSV at all: *Import > From browser on this device*. It reads the
browser's store while the browser is closed. Update KeyVault first and the
option shows up at the top of the import list.""",
                "votes": {"priya": 1, "ahmed": 1, "maria": 1, "jonas": 1},
            },
        ],
        "comments": [
            (
                1,
                "priya",
                6,
                "Didn't know that existed. Used it on all four laptops, no CSV at all.",
            ),
            (
                0,
                "lena",
                9,
                "Note that the recycle bin step matters: Windows keeps the "
                "file otherwise.",
            ),
        ],
        "accepted": 1,
    },
    {
        "asker": "lena",
        "age": 17.3,
        "views": 142,
        "title": (
            "Restoring a single folder from Kestrel Backup without overwriting newer "
            "files"
        ),
        "tags": "backup restore kestrel-backup",
        "body": """\
I deleted a client folder by mistake (about 3 GB of photos). Kestrel Backup has
a copy from last Friday. If I choose *Restore*, will it overwrite the files I
edited since Friday in *other* folders? I only want that one folder back.""",
        "votes": {"demo": 1, "maria": 1},
        "answers": [
            {
                "by": "staff",
                "after": 1,
                "body": """\
Restore is per selection, so nothing outside the folder you pick is touched:

1. Open Kestrel Backup > **Browse backups** and choose Friday's version.
2. Navigate to the folder, tick it, and click **Restore to...**
3. Choose *A different location* (for example `D:\\Restore`) to be extra safe.

When restoring to the original location, the dialog asks what to do with files
that exist: pick **Keep the newer file**.""",
                "votes": {"lena": 1, "maria": 1, "priya": 1},
            },
            {
                "by": "maria",
                "after": 8,
                "body": """\
I always restore to a separate folder first and compare before moving
anything back. With photos, a tool that compares folders by date and size
makes that quick.""",
                "votes": {"lena": 1},
            },
        ],
        "comments": [
            (
                0,
                "lena",
                3,
                "Restored to D:\\Restore, all 1,214 photos are there. Phew.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "demo",
        "age": 15.8,
        "views": 203,
        "title": "Fan runs loud all the time, even when the laptop is idle",
        "tags": "fan thermals laptop",
        "body": """\
My Aster 14's fan has been running at what sounds like full speed for a week,
even with only the browser open. Task Manager shows 3-5% CPU. The bottom is
warm but not hot. It is about two years old and has never been opened.""",
        "votes": {"tobias": 1, "jonas": 1, "priya": 1},
        "answers": [
            {
                "by": "jonas",
                "after": 2,
                "body": """\
Low CPU with a loud fan usually means the fan profile or a sensor, not load.
Check *Kestrel Control Center > Thermal*: if it is on **Performance**, set
it to **Balanced**. Updates sometimes switch it.""",
                "votes": {"demo": 1},
            },
            {
                "by": "tobias",
                "after": 5,
                "body": """\
After two years, dust is the likely cause. The heatsink fins clog and the fan
spins faster to move the same heat. With the laptop off, blow short bursts of
compressed air into the side vents while holding the fan still with a
toothpick through the vent (letting it spin freely can damage it).""",
                "votes": {"demo": 1, "lena": 1, "staff": 1},
            },
            {
                "by": "staff",
                "after": 9,
                "body": """\
Also update the BIOS: 1.16 changed the fan curve on the Aster 14 so the fan
stays off below 55 °C. If cleaning and the update do not help, our service
team replaces the thermal paste for free within the warranty period.""",
                "votes": {"demo": 1, "tobias": 1},
            },
        ],
        "comments": [
            ("q", "ahmed", 1, "Does it stay loud in the BIOS setup screen too?"),
            ("q", "demo", 2, "Yes, loud in the BIOS as well, so it is not Windows."),
            (1, "demo", 30, "A surprising amount of dust came out. Much quieter now."),
        ],
        "accepted": 1,
    },
    {
        "asker": "ahmed",
        "age": 13.5,
        "views": 174,
        "title": "Some keyboard keys stopped working after a small coffee spill",
        "tags": "keyboard hardware",
        "body": """\
I spilled a little coffee (maybe a tablespoon) on my Aster 14 keyboard. I
turned it off immediately, wiped it and let it dry upside down for a day. Now
it works again, except **E, R, and 4** which do nothing, and the space bar
feels sticky.""",
        "votes": {"tobias": 1, "lena": 1},
        "answers": [
            {
                "by": "staff",
                "after": 3,
                "body": """\
You did the right thing turning it off at once. Sugar and milk in the coffee
leave a residue that keeps keys from making contact, and it can corrode the
keyboard over time. Because the E, R and 4 keys share one row of the keyboard
matrix, the contacts under them are probably affected.

Please book a keyboard replacement: spills are covered if you have Accidental
Damage cover, otherwise the part is a fixed-price repair. Until then an
external keyboard is the safe option.""",
                "votes": {"ahmed": 1, "maria": 1, "tobias": 1},
            },
            {
                "by": "jonas",
                "after": 6,
                "body": """\
I got a sticky space bar working again by gently prying off the key cap and
cleaning the mechanism with a cotton swab and a bit of isopropyl alcohol.
Look up how the clips work first; they break easily.""",
                "votes": {"ahmed": 1},
            },
        ],
        "comments": [
            (
                0,
                "ahmed",
                5,
                "Booked, with Accidental Damage cover. Thanks for the honest answer.",
            ),
            (
                1,
                "staff",
                7,
                "Careful with this on the Aster: the space bar has a metal "
                "stabiliser bar.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "maria",
        "age": 11.2,
        "views": 236,
        "title": (
            "Dock C4: monitors work, but USB devices and Ethernet disconnect randomly"
        ),
        "tags": "usb-c dock ethernet",
        "body": """\
On the Kestrel Dock C4, both monitors are fine, but every hour or so the
keyboard, mouse and wired network disconnect for a few seconds (Windows plays
the *device removed* sound). The laptop is an Aster 14 on the 65 W charger
plugged into the dock.""",
        "votes": {"tobias": 1, "priya": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 1,
                "body": """\
Two usual suspects:

- **Power**: the C4 needs its own 100 W power supply. If it runs off a
  smaller one, the USB hub resets when the laptop draws more.
- **USB selective suspend**: *Power Options > Change plan settings >
  Advanced > USB settings > USB selective suspend setting* = *Disabled*.

Also update the dock firmware with the *Kestrel Dock Updater*.""",
                "votes": {"maria": 1, "ahmed": 1},
            },
            {
                "by": "staff",
                "after": 4,
                "body": """\
Dock firmware **C4-2.3.1** fixes USB resets when the Ethernet link renegotiates
its speed, which matches the pattern you describe (everything drops together).
Run the Dock Updater with only the dock's own power supply connected.""",
                "votes": {"maria": 1, "tobias": 1, "priya": 1},
            },
        ],
        "comments": [
            (
                "q",
                "priya",
                1,
                "Is the dock on its own power supply or powered from the laptop?",
            ),
            (
                "q",
                "maria",
                1.5,
                "It has its own power brick, the one that came in the box.",
            ),
            (
                1,
                "maria",
                26,
                "Firmware updated to 2.3.1, no disconnects since yesterday.",
            ),
        ],
        "accepted": 1,
        "accepted_by": "staff",
    },
    {
        "asker": "jonas",
        "age": 9.0,
        "views": 321,
        "title": (
            "Built-in camera shows a black picture in video calls but works in the "
            "Camera app"
        ),
        "tags": "camera privacy video-calls",
        "body": """\
In every video call app the camera preview is just black (the camera light
does not come on). The Windows *Camera* app works fine, and the privacy shutter
is open. I reinstalled the call app, no difference.""",
        "votes": {"lena": 1, "demo": 1, "maria": 1},
        "answers": [
            {
                "by": "lena",
                "after": 1,
                "body": """\
Check the app permissions: *Settings > Privacy & security > Camera*. There
are two switches that matter:

- **Let apps access your camera** must be on.
- **Let desktop apps access your camera** (further down) must be on too.

The Camera app is a Store app, so it works even when desktop apps are blocked.""",
                "votes": {"jonas": 1, "ahmed": 1, "staff": 1, "priya": 1},
            },
            {
                "by": "ahmed",
                "after": 3,
                "body": """\
If the permission is already on, another program may hold the camera. Close
anything with a "virtual background" or streaming tool in the system tray;
only one desktop app can use the camera at a time.""",
                "votes": {"jonas": 1},
            },
        ],
        "comments": [
            (
                0,
                "jonas",
                2,
                "The desktop apps switch was off. No idea who turned it "
                "off. Works now.",
            ),
            (
                0,
                "staff",
                4,
                "Some privacy tools turn that switch off; worth checking "
                "after updates.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "priya",
        "age": 6.4,
        "views": 97,
        "title": "Scan to email on Beacon L50 fails with 'SMTP authentication failed'",
        "tags": "printer scanning email beacon-l50",
        "body": """\
I am setting up *Scan to email* on our Beacon L50 laser printer with our
company mailbox. Settings in the printer's web page:

| Setting | Value |
|---|---|
| SMTP server | smtp.office365.com |
| Port | 587 |
| Security | STARTTLS |
| User | scanner@ourstudio.example |

The test email fails with **SMTP authentication failed**. The password is
correct; I can log in to webmail with it.""",
        "votes": {"maria": 1, "tobias": 1},
        "answers": [
            {
                "by": "tobias",
                "after": 2,
                "body": """\
Microsoft 365 turns off **SMTP AUTH** per mailbox by default. An admin has
to enable it for that mailbox: *Microsoft 365 admin center > Users > (the
scanner user) > Mail > Manage email apps* > tick **Authenticated SMTP**.
It takes up to an hour to apply. If the tenant has *Security defaults* on,
SMTP AUTH stays blocked whatever you tick.""",
                "votes": {"priya": 1, "staff": 1},
            },
            {
                "by": "staff",
                "after": 4,
                "body": """\
An alternative that avoids passwords on the printer: the L50 (firmware 3.2+)
supports **scan to a shared folder** and **scan to Kestrel Cloud**, which
forwards to email. Many small offices find that easier to keep working than
SMTP settings on a printer.""",
                "votes": {"priya": 1, "maria": 1},
            },
        ],
        "comments": [
            (
                0,
                "priya",
                3,
                "Authenticated SMTP was unticked. Waiting the hour now, "
                "fingers crossed.",
            ),
            (0, "priya", 5, "Test email arrived. Thank you so much!"),
        ],
        "accepted": 0,
        "edit": {
            "after": 0.5,
            "summary": "added the printer firmware version",
            "append": "\n\nFirmware on the printer is 3.4.0.",
        },
    },
    {
        "asker": "ahmed",
        "age": 3.9,
        "views": 188,
        "title": (
            "Router firmware update stuck at 99%: is it safe to unplug the router?"
        ),
        "tags": "router firmware halo-ax3000",
        "body": """\
I started a firmware update on my Halo AX3000 from the app 40 minutes ago. The
progress bar is stuck at **99%** and the router's light is pulsing white. Is it
safe to pull the power, or will that brick it?""",
        "votes": {"jonas": 1, "lena": 1, "staff": 1},
        "answers": [
            {
                "by": "staff",
                "after": 0.5,
                "body": """\
The progress bar in the app stops updating once the router reboots, so 99%
often means *done, but the app lost contact*. A pulsing white light means the
router is running normally.

Open `http://192.168.68.1` (or the app) and check *System > Firmware*. If it
shows the new version, you are finished. If the light is **blinking red** or
stays off for more than 10 minutes, hold reset for 10 seconds: the Halo keeps
a backup firmware and restores it.""",
                "votes": {"ahmed": 1, "tobias": 1, "jonas": 1},
            },
            {
                "by": "tobias",
                "after": 1,
                "body": """\
Generally: do not pull power while the light is **blinking fast** (that is the
flash write). Pulsing slowly is normal operation. And run firmware updates over
a cable, not over the Wi-Fi you are updating.""",
                "votes": {"ahmed": 1},
            },
        ],
        "comments": [
            (
                0,
                "ahmed",
                1,
                "System page shows the new version. The app just never noticed.",
            ),
        ],
        "accepted": 0,
    },
    {
        "asker": "lena",
        "age": 1.6,
        "views": 64,
        "title": (
            "C: drive is full on a 256 GB laptop, but I can't find what is using the "
            "space"
        ),
        "tags": "storage windows-11 disk-cleanup",
        "body": """\
Windows warns that C: is full. My files are on an external drive, and adding
up the folders I know about gives maybe 90 GB. *Settings > Storage* says
*System & reserved* is 35 GB and *Other* is **98 GB**. What is "Other", and how
do I find out what it is?""",
        "votes": {"maria": 1, "ahmed": 1},
        "answers": [
            {
                "by": "ahmed",
                "after": 1,
                "body": """\
"Other" is everything Windows cannot put in a category: usually caches, app
data and leftovers. Find the big folders:

1. Install a disk-usage viewer (WinDirStat or WizTree), run it as admin on C:.
2. Look at `C:\\Users\\<you>\\AppData`: photo editors keep large caches there.
3. Check `C:\\hiberfil.sys` and `C:\\pagefile.sys` (several GB each, normal).

Don't delete anything under `C:\\Windows` by hand.""",
                "votes": {"lena": 1, "tobias": 1},
            },
            {
                "by": "tobias",
                "after": 3,
                "body": """\
Run *Disk Cleanup* as administrator (`cleanmgr /sageset:1` lets you pick all
categories, then `cleanmgr /sagerun:1`). *Windows Update Cleanup* and
*Previous Windows installations* can free 10-30 GB after a feature update.""",
                "votes": {"lena": 1},
            },
        ],
        "comments": [
            (
                "q",
                "maria",
                0.5,
                "Do you use Lightroom? Its preview cache can grow huge.",
            ),
            (
                0,
                "lena",
                5,
                "WizTree found 71 GB of Lightroom previews in AppData. Cleared 60 GB.",
            ),
        ],
        "accepted": None,
    },
]


# Search and tagging synonyms staff keep: (term, replacement, two_way).
SYNONYMS: list[tuple[str, str, bool]] = [
    ("bsod", "blue screen", True),
    ("pc", "windows", False),
    ("win11", "windows-11", False),
    ("notebook", "laptop", False),
    ("access point", "router", False),
]
