import Link from 'next/link'

export default function HomePage() {
  return (
    <>
      <header>
        <strong>Behalf Next.js example</strong>
      </header>
      <p>This app signs people in with Behalf&apos;s hosted pages and agents with one-time agent-task links.</p>
      <p>
        <Link href="/dashboard">Open the dashboard</Link>. Signed out, it sends you to the sign-in page.
      </p>
    </>
  )
}
