// Example listener: the widget emits the citizen's 👍/👎 as a DOM event and sends nothing.
// A real site could forward it to its own analytics here.
document.addEventListener('sportello-feedback', (event) => {
  const { id, question, helpful } = event.detail;
  const log = document.getElementById('feedback-log');
  if (log) log.textContent = `Ultimo voto: ${helpful ? 'utile' : 'non utile'} per «${question}» (${id}).`;
  console.info('sportello-feedback', event.detail);
});
