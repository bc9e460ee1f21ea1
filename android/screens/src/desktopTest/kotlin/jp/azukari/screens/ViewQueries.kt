package jp.azukari.screens

import uniffi.azukari_core.AppEvent
import uniffi.azukari_core.AppView
import uniffi.azukari_core.Button as ButtonView

/** Every button of a view in the order drawn (back, then each section's rows' buttons and its own). */
fun buttonsOf(view: AppView): List<ButtonView> =
    listOfNotNull(view.back) + view.sections.flatMap { section -> section.rows.flatMap { it.buttons } + section.buttons }

/** The first enabled button of [view] whose event matches, or a failure naming what the view offered. */
fun buttonFor(view: AppView, what: String, match: (AppEvent) -> Boolean): ButtonView =
    buttonsOf(view).firstOrNull { it.enabled && match(it.event) }
        ?: throw AssertionError("no button for $what on ${view.screen}; the view offers ${buttonsOf(view).map { it.label to it.event }}")

/** The first enabled button matching [match] in the row whose title names [title]. */
fun rowButtonFor(view: AppView, title: String, match: (AppEvent) -> Boolean): ButtonView =
    view.sections.flatMap { it.rows }.filter { it.title.contains(title) }.flatMap { it.buttons }
        .firstOrNull { it.enabled && match(it.event) }
        ?: throw AssertionError("no such button in a row '$title' on ${view.screen}")

/** Every text of a view a person reads. */
fun textsOf(view: AppView): List<String> = buildList {
    add(view.title)
    view.signedIn?.let(::add)
    view.notices.forEach { add(it.text) }
    view.busy?.let { add(it.text) }
    view.progress?.let { add(it.text) }
    buttonsOf(view).forEach { add(it.label) }
    view.sections.forEach { section ->
        section.title?.let(::add)
        addAll(section.paragraphs)
        if (section.rows.isEmpty()) section.empty?.let(::add)
        section.facts.forEach { add(it.label); add(it.value) }
        section.rows.forEach { add(it.title); addAll(it.details) }
        section.fields.forEach { add(it.label) }
    }
}
