-- One driver per walkthrough, with hand-over: who drives is the newest driver_changed event (else whoever
-- started the incident); driver_requested records a request to take over.
ALTER TABLE incident_events DROP CONSTRAINT incident_events_type_check;
ALTER TABLE incident_events ADD CONSTRAINT incident_events_type_check
    CHECK (type IN ('started', 'step_entered', 'input', 'probe_started', 'probe_finished',
                    'decision', 'recommendation', 'override', 'checklist', 'note',
                    'resolved', 'abandoned', 'driver_changed', 'driver_requested'));

-- The driver is read on every incident read: the newest driver_changed event of an incident.
CREATE INDEX incident_events_driver ON incident_events (incident_id, seq DESC) WHERE type = 'driver_changed';
